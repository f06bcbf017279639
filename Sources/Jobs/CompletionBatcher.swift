import Logging
import Postgres
import Synchronization

/// Marks finished jobs completed in batches: one statement carries every job that finished while the
/// previous statement was on its way. No timer: an idle queue completes each job at once, a busy one
/// completes many per round trip.
final class CompletionBatcher: Sendable {
    private struct State {
        var pending: [Job] = []
        var flushing = false
    }

    private let state = Mutex(State())
    private let database: Database
    private let logger: Logger
    /// Called with each batch once it is recorded (the runner stops renewing those leases).
    private let recorded: @Sendable ([Job]) -> Void

    init(database: Database, logger: Logger, recorded: @escaping @Sendable ([Job]) -> Void) {
        self.database = database
        self.logger = logger
        self.recorded = recorded
    }

    func add(_ job: Job) {
        let startFlushing = state.withLock { state in
            state.pending.append(job)
            if state.flushing { return false }
            state.flushing = true
            return true
        }
        if startFlushing { Task { await flush() } }
    }

    var isIdle: Bool { state.withLock { !$0.flushing && $0.pending.isEmpty } }

    private func flush() async {
        while true {
            let batch: [Job] = state.withLock { state in
                if state.pending.isEmpty { state.flushing = false }
                defer { state.pending = [] }
                return state.pending
            }
            if batch.isEmpty { return }
            do {
                try await JobQueue.complete(batch, on: database)
                recorded(batch)
            } catch {
                // Still leased and renewed: recorded once the database answers again.
                logger.warning("could not record completed jobs; trying again", metadata: ["jobs": "\(batch.count)", "error": "\(error)"])
                state.withLock { $0.pending.insert(contentsOf: batch, at: 0) }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
