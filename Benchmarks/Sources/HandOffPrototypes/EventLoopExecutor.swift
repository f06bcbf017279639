import NIOCore

/// A Swift task executor (SE-0417) running jobs on one NIO event loop: a task that prefers it runs its
/// nonisolated code on the loop's thread instead of Swift's global pool. NIO 2.101 has no such conformance
/// of its own; `execute` allocates one closure per job.
final class EventLoopExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
