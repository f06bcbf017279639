import Postgres

/// The queue and the email deliveries as operators see them, read from the `inspect` views (migrations
/// 0004 and 0009): what the admin page's operations view shows (GET /admin/operations).
public struct QueueOverview: Sendable {
    /// One row of `inspect.queue`: the jobs of one kind in one state.
    public struct StateCount: Sendable {
        public let kind: String
        public let state: String
        public let jobs: Int
        /// How long the oldest of them has been in the table.
        public let oldestAgeSeconds: Double
        /// For waiting states: when the next one may run.
        public let nextRunAt: Timestamp?
        public let maxAttempt: Int
    }

    /// One row of `inspect.email_deliveries`: the deliveries of one template in one status.
    public struct DeliveryCount: Sendable {
        public let template: String
        public let status: String
        public let deliveries: Int
        public let attempts: Int
        public let firstCreatedAt: Timestamp
        public let lastSentAt: Timestamp?
        public let latestError: String?
    }

    /// One row of `inspect.job_failures`: a job with at least one failed attempt.
    public struct Failure: Sendable {
        public let id: Int
        public let kind: String
        public let state: String
        public let attempt: Int
        public let maxAttempts: Int
        public let failures: Int
        public let lastError: String?
        public let lastErrorAt: Timestamp?
        public let nextRunAt: Timestamp?
    }

    public let queue: [StateCount]
    public let deliveries: [DeliveryCount]
    /// The latest failures first.
    public let failures: [Failure]
}

/// Reads `QueueOverview`. Read-only: it never changes a job.
public struct QueueInspection: Sendable {
    public static let defaultFailureLimit = 20

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The three views in one read-only snapshot, so that a job moving between states while they are read is
    /// counted once. The views aggregate the whole `job` table, so this takes a connection of its own rather
    /// than holding up the point reads batched on a pipelined one.
    public func overview(failureLimit: Int = QueueInspection.defaultFailureLimit) async throws -> QueueOverview {
        try await database.withTransaction { connection in
            try await connection.execute(simple: "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            let queue = try await connection.query(
                """
                SELECT kind, state, jobs, extract(epoch FROM oldest_age)::float8 AS oldest_age_seconds, next_run_at,
                       max_attempt
                FROM inspect.queue
                ORDER BY kind, state
                """
            ).rows.map { row in
                QueueOverview.StateCount(
                    kind: try row.decode("kind"), state: try row.decode("state"), jobs: try row.decode("jobs"),
                    oldestAgeSeconds: try row.decode("oldest_age_seconds"), nextRunAt: try row.decode("next_run_at"),
                    maxAttempt: try row.decode("max_attempt"))
            }
            let deliveries = try await connection.query(
                """
                SELECT template, status, deliveries, attempts, first_created_at, last_sent_at, latest_error
                FROM inspect.email_deliveries
                ORDER BY template, status
                """
            ).rows.map { row in
                QueueOverview.DeliveryCount(
                    template: try row.decode("template"), status: try row.decode("status"),
                    deliveries: try row.decode("deliveries"), attempts: try row.decode("attempts"),
                    firstCreatedAt: try row.decode("first_created_at"), lastSentAt: try row.decode("last_sent_at"),
                    latestError: try row.decode("latest_error"))
            }
            let failures = try await connection.query(
                """
                SELECT id, kind, state, attempt, max_attempts, failures, last_error, last_error_at, next_run_at
                FROM inspect.job_failures
                ORDER BY last_error_at DESC NULLS LAST, id DESC
                LIMIT \(failureLimit)::int
                """
            ).rows.map { row in
                QueueOverview.Failure(
                    id: try row.decode("id"), kind: try row.decode("kind"), state: try row.decode("state"),
                    attempt: try row.decode("attempt"), maxAttempts: try row.decode("max_attempts"),
                    failures: try row.decode("failures"), lastError: try row.decode("last_error"),
                    lastErrorAt: try row.decode("last_error_at"), nextRunAt: try row.decode("next_run_at"))
            }
            return QueueOverview(queue: queue, deliveries: deliveries, failures: failures)
        }
    }
}
