import NIOCore

/// A Swift task executor (SE-0417) that runs jobs on one NIO event loop. A connection's task prefers it, so
/// a request is parsed, handled and answered on the loop that owns its socket: a point read crosses threads
/// twice (to the pipeline thread and back) instead of four times through Swift's global pool, and a route
/// without the database (`/health`) crosses none. NIO 2.101 has no such conformance of its own.
///
/// The price: whatever a request does synchronously holds its loop, so request code must not block (every
/// blocking call goes to the process's `BlockingPool`, README "BlockingWork").
final class EventLoopExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
