import Logging
import Postgres

/// Deletes finished jobs: completed ones after 24 hours, discarded and cancelled ones after 7 days (kept
/// longer, for an operator to read why they failed). Deletes in batches, so a large backlog never holds
/// one long transaction.
public struct Pruner: Sendable {
    public static let defaultInterval: Double = 300
    public static let defaultCompletedRetention: Double = 24 * 3600
    public static let defaultDiscardedRetention: Double = 7 * 24 * 3600

    let database: Database
    let interval: Double
    let completedRetention: Double
    let discardedRetention: Double
    let batchSize: Int
    let logger: Logger

    public init(
        database: Database, interval: Double = Pruner.defaultInterval,
        completedRetention: Double = Pruner.defaultCompletedRetention,
        discardedRetention: Double = Pruner.defaultDiscardedRetention, batchSize: Int = 10_000, logger: Logger
    ) {
        self.database = database
        self.interval = interval
        self.completedRetention = completedRetention
        self.discardedRetention = discardedRetention
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Deletes everything due; returns how many jobs it deleted.
    @discardableResult
    public func pruneOnce() async throws -> Int {
        var total = 0
        while true {
            let deleted = try await database.query(
                """
                DELETE FROM job WHERE id IN (
                    SELECT id FROM job
                    WHERE state = 'completed' AND finalized_at < now() - make_interval(secs => \(completedRetention)::float8)
                    UNION ALL
                    SELECT id FROM job
                    WHERE state IN ('discarded', 'cancelled')
                      AND finalized_at < now() - make_interval(secs => \(discardedRetention)::float8)
                    LIMIT \(batchSize)::int
                )
                """
            ).affectedRows
            total += deleted
            if deleted < batchSize { return total }
        }
    }

    /// Runs a pass now and then every `interval` seconds, until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                let pruned = try await pruneOnce()
                if pruned > 0 { logger.info("pruned finished jobs", metadata: ["jobs": "\(pruned)"]) }
            } catch is CancellationError {
                return  // the worker stops: its statement was dropped with it
            } catch {
                logger.warning("pruner pass failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        }
    }
}
