import Synchronization

/// An attempt ran past its time limit; its handler was cancelled. Recorded in `job.errors`, and the job
/// is retried with the usual backoff.
struct JobTimedOut: Error, CustomStringConvertible {
    let seconds: Double
    var description: String {
        let shown = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
        return "timed out after \(shown) s (JOB_TIMEOUT or the kind's own limit): the handler was cancelled"
    }
}

/// Runs `body`, and cancels it once `seconds` have passed, then waits for it to return. A body that still
/// succeeds after its cancellation (its work was done as the time ran out, e.g. an email accepted and
/// recorded) keeps its result: it is what happened. Any other ending after the limit is `JobTimedOut`.
/// When the caller is cancelled (the worker stops), the body is cancelled with it, and its own ending
/// (its result, or its error) is returned once it has returned.
func withTimeLimit<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: TimeLimitEnding<T>.self) { group in
        group.addTask {
            do { return .body(.success(try await body())) } catch { return .body(.failure(error)) }
        }
        group.addTask {
            do {
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                return .timeUp
            } catch {
                return .callerCancelled
            }
        }
        /// The body's ending, once it has returned (the timer has ended by then, or is cancelled here).
        func bodyEnding() async -> Result<T, any Error> {
            while let ending = try? await group.next() {
                if case .body(let result) = ending { return result }
            }
            return .failure(CancellationError())
        }
        switch try await group.next()! {
        case .body(let result):
            group.cancelAll()
            return try result.get()
        case .timeUp:
            group.cancelAll()
            if case .success(let value) = await bodyEnding() { return value }
            throw JobTimedOut(seconds: seconds)
        case .callerCancelled:
            return try await bodyEnding().get()
        }
    }
}

/// How the first child of `withTimeLimit`'s group ended.
private enum TimeLimitEnding<T: Sendable>: Sendable {
    case body(Result<T, any Error>)
    case timeUp
    case callerCancelled
}

/// The tasks of the handlers running now, by job id, so that a stopping worker can cancel them and know
/// which have returned.
final class RunningHandlers: Sendable {
    private let tasks = Mutex<[Int: Task<Void, Never>]>([:])

    /// Runs `operation` in a task of its own, registered until it returns.
    func start(_ jobID: Int, _ operation: @escaping @Sendable () async -> Void) {
        tasks.withLock { tasks in
            // Registered under the lock that the task's own removal takes, so it cannot end unregistered.
            tasks[jobID] = Task {
                await operation()
                self.finished(jobID)
            }
        }
    }

    private func finished(_ jobID: Int) {
        _ = tasks.withLock { $0.removeValue(forKey: jobID) }
    }

    var count: Int { tasks.withLock { $0.count } }

    var jobIDs: Set<Int> { tasks.withLock { Set($0.keys) } }

    func cancelAll() {
        for task in tasks.withLock({ Array($0.values) }) { task.cancel() }
    }
}
