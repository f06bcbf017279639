import Postgres

/// A job to enqueue.
public struct NewJob: Sendable {
    public var kind: String
    public var args: JSONText
    public var maxAttempts: Int
    public var priority: Int
    public var scheduledAt: Timestamp?
    public var uniqueKey: String?

    public init(
        kind: String, args: JSONText, maxAttempts: Int = 20, priority: Int = 1, scheduledAt: Timestamp? = nil,
        uniqueKey: String? = nil
    ) {
        self.kind = kind
        self.args = args
        self.maxAttempts = maxAttempts
        self.priority = priority
        self.scheduledAt = scheduledAt
        self.uniqueKey = uniqueKey
    }
}

public enum JobQueue {
    /// The channel workers LISTEN on.
    public static let channel = "clientele_jobs"

    /// Inserts the job in the caller's transaction; the worker is notified when it commits. A job exists if
    /// and only if the caller's transaction commits.
    public static func enqueue(_ job: NewJob, on connection: LeasedConnection) async throws {
        try await connection.query(
            """
            WITH inserted AS (
                INSERT INTO job (kind, args, max_attempts, priority, scheduled_at, unique_key, state)
                VALUES (\(job.kind), \(job.args)::jsonb, \(job.maxAttempts), \(job.priority),
                        coalesce(\(job.scheduledAt)::timestamptz, now()), \(job.uniqueKey),
                        CASE WHEN \(job.scheduledAt)::timestamptz > now() THEN 'scheduled' ELSE 'available' END)
                RETURNING kind
            )
            SELECT pg_notify(\(channel), kind) FROM inserted
            """)
    }

    /// The same enqueue as a statement fragment, for a change that is a single statement: one job per row
    /// of `source` (a query with a jsonb column `args`), to be used as a CTE of that statement, so that the
    /// change and its event commit together in one round trip. Reference the CTE in the outer query
    /// (e.g. `(SELECT count(*) FROM event)`) so that its RETURNING, which notifies, is evaluated.
    public static func enqueueStatement(kind: String, argsFrom source: SQL) -> SQL {
        """
        INSERT INTO job (kind, args) SELECT \(kind), args FROM (\(source)) AS source
        RETURNING pg_notify(\(channel), kind)
        """
    }
}
