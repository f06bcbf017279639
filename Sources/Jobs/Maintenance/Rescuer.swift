import Logging
import Postgres

/// Returns the jobs of dead workers to the queue. A worker renews the lease of each job it runs every
/// `lease / 3` seconds; a `running` job whose lease has passed belongs to a worker that stopped (killed,
/// frozen, cut off from the database). It becomes `retryable` at once, or `discarded` if that was its last
/// attempt, with the reason in `errors`.
///
/// Guarantee: with a 30 s lease and a 15 s interval, a dead worker's jobs run again within 45 s (under the
/// 60 s promised). Several workers may rescue at once: the statement is idempotent.
public struct Rescuer: Sendable {
    public static let defaultInterval: Double = 15

    let database: Database
    let interval: Double
    let logger: Logger

    public init(database: Database, interval: Double = Rescuer.defaultInterval, logger: Logger) {
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    /// One pass; returns how many jobs it rescued.
    @discardableResult
    public func rescueOnce() async throws -> Int {
        let result = try await database.query(
            """
            UPDATE job SET
                state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'retryable' END,
                finalized_at = CASE WHEN attempt >= max_attempts THEN now() END,
                scheduled_at = now(),
                errors = errors || jsonb_build_array(jsonb_build_object(
                    'at', now(), 'attempt', attempt,
                    'error', 'lease expired: worker ' || coalesce(attempted_by, '?') || ' stopped renewing it')),
                lease_expires_at = NULL
            WHERE state = 'running' AND lease_expires_at < now()
            """)
        return result.affectedRows
    }

    /// Runs a pass now and then every `interval` seconds, until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                let rescued = try await rescueOnce()
                if rescued > 0 { logger.warning("rescued jobs of a worker that stopped renewing its lease", metadata: ["jobs": "\(rescued)"]) }
            } catch is CancellationError {
                return  // the worker stops: its statement was dropped with it
            } catch {
                logger.warning("rescuer pass failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        }
    }
}
