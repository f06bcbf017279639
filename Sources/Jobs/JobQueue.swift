import Postgres

/// A job to enqueue.
public struct NewJob: Sendable {
    public var kind: String
    public var args: JSONText
    public var maxAttempts: Int
    /// Lower runs first.
    public var priority: Int
    /// Not run before this time; nil is now.
    public var scheduledAt: Timestamp?
    /// At most one unfinished job per key: enqueueing another while one is unfinished does nothing.
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

/// The queue's SQL: every change of a job's state, in one place. Each statement is a single statement
/// (atomic on its own), guarded by the state and attempt it expects, so a worker that lost its lease can
/// never overwrite what another worker did since.
public enum JobQueue {
    /// The NOTIFY channel workers LISTEN on.
    public static let channel = "clientele_jobs"

    /// Inserts the job in the caller's transaction; the worker is notified when it commits.
    ///
    /// Guarantee: the job exists if and only if the caller's transaction commits (NOTIFY is also
    /// transactional: delivered on commit, dropped on rollback). A notification can still be missed (the
    /// worker was reconnecting); workers poll every second, so a job is never left behind.
    public static func enqueue(_ job: NewJob, on connection: LeasedConnection) async throws {
        try await connection.query(insert(job))
    }

    /// Enqueues in a transaction of its own (scripts, tests, jobs that are not tied to a change).
    public static func enqueue(_ job: NewJob, on database: Database) async throws {
        try await database.query(insert(job))
    }

    /// One statement: the insert, and the notification when the job can run now. Postgres folds equal
    /// notifications of one transaction into one, so a bulk insert wakes a worker once.
    static func insert(_ job: NewJob) -> SQL {
        """
        WITH inserted AS (
            INSERT INTO job (kind, args, state, priority, max_attempts, scheduled_at, unique_key)
            VALUES (\(job.kind), \(job.args)::jsonb,
                    CASE WHEN \(job.scheduledAt)::timestamptz > now() THEN 'scheduled' ELSE 'available' END,
                    \(job.priority)::smallint, \(job.maxAttempts)::int, coalesce(\(job.scheduledAt)::timestamptz, now()),
                    \(job.uniqueKey))
            ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state NOT IN ('completed', 'discarded', 'cancelled')
            DO NOTHING
            RETURNING state
        )
        SELECT pg_notify(\(channel), '') FROM inserted WHERE state = 'available'
        """
    }

    /// The enqueue as a statement fragment, for a change that is itself a single statement: one job per
    /// row of `source` (a query with a jsonb column `args`), to be used as a CTE of that statement, so
    /// that the change and its event commit together in one round trip. Reference the CTE in the outer
    /// query (e.g. `(SELECT count(*) FROM event)`) so that its RETURNING, which notifies, is evaluated.
    /// Without `notify`, no NOTIFY is sent (see `NotifyThrottle`): the job waits for a worker's next fetch.
    public static func enqueueStatement(kind: String, argsFrom source: SQL, notify: Bool = true) -> SQL {
        if !notify {
            return "INSERT INTO job (kind, args) SELECT \(kind), args FROM (\(source)) AS source RETURNING id"
        }
        return """
            INSERT INTO job (kind, args) SELECT \(kind), args FROM (\(source)) AS source
            RETURNING pg_notify(\(channel), '')
            """
    }

    /// Claims up to `limit` jobs that are due, highest priority first, for `worker`, with a lease of
    /// `lease` seconds. One statement; `SKIP LOCKED` makes concurrent claimers take disjoint rows, so no
    /// job is ever handed to two workers at once.
    public static func claim(limit: Int, worker: String, lease: Double, on database: Database) async throws -> [Job] {
        let result = try await database.query(
            """
            UPDATE job
            SET state = 'running', attempt = job.attempt + 1, attempted_at = now(), attempted_by = \(worker),
                lease_expires_at = now() + make_interval(secs => \(lease)::float8)
            WHERE id IN (
                SELECT id FROM job
                WHERE state IN ('available', 'retryable', 'scheduled') AND scheduled_at <= now()
                ORDER BY priority, scheduled_at, id
                LIMIT \(limit)::int
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id, kind, args, attempt, max_attempts
            """)
        return try result.rows.map(Job.init(row:))
    }

    /// Marks jobs completed, in one statement for the whole batch.
    public static func complete(_ jobs: [Job], on database: Database) async throws {
        guard !jobs.isEmpty else { return }
        try await database.query(
            """
            UPDATE job SET state = 'completed', finalized_at = now(), lease_expires_at = NULL
            FROM unnest(\(jobs.map(\.id))::bigint[], \(jobs.map(\.attempt))::int[]) AS done(id, attempt)
            WHERE job.id = done.id AND job.attempt = done.attempt AND job.state = 'running'
            """)
    }

    /// The completion of one job as a statement to run after a data-modifying `WITH`, so that a handler
    /// can record its own effect and the completion atomically in one statement.
    static func completion(of job: Job) -> SQL {
        """
        UPDATE job SET state = 'completed', finalized_at = now(), lease_expires_at = NULL
        WHERE id = \(job.id)::bigint AND attempt = \(job.attempt)::int AND state = 'running'
        """
    }

    /// Records a failed attempt: `retryable` after a backoff, or `discarded` when it was the last one.
    /// Returns the state the job is in now (nil when it was no longer this attempt's to change).
    @discardableResult
    public static func fail(
        _ job: Job, error: String, retryIn backoff: Double? = nil, on database: Database
    ) async throws -> JobState? {
        let seconds = backoff ?? Backoff.seconds(afterAttempt: job.attempt)
        let result = try await database.query(
            """
            UPDATE job SET
                state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'retryable' END,
                scheduled_at = CASE WHEN attempt >= max_attempts THEN scheduled_at
                                    ELSE now() + make_interval(secs => \(seconds)::float8) END,
                finalized_at = CASE WHEN attempt >= max_attempts THEN now() END,
                errors = errors || jsonb_build_array(jsonb_build_object('at', now(), 'attempt', attempt, 'error', \(error)::text)),
                lease_expires_at = NULL
            WHERE id = \(job.id)::bigint AND attempt = \(job.attempt)::int AND state = 'running'
            RETURNING state
            """)
        return try result.first.flatMap { JobState(rawValue: try $0.decode(String.self, at: 0)) }
    }

    /// Gives up on a job at once (a permanent error): `discarded`, with the reason in `errors`.
    public static func discard(_ job: Job, error: String, on database: Database) async throws {
        try await database.query(discarding(job, error: error))
    }

    /// The discard of one job, to run after a data-modifying `WITH` (see `completion(of:)`).
    static func discarding(_ job: Job, error: String) -> SQL {
        """
        UPDATE job SET state = 'discarded', finalized_at = now(), lease_expires_at = NULL,
            errors = errors || jsonb_build_array(jsonb_build_object('at', now(), 'attempt', attempt, 'error', \(error)::text))
        WHERE id = \(job.id)::bigint AND attempt = \(job.attempt)::int AND state = 'running'
        """
    }

    /// Extends the leases of the jobs a worker still holds (its heartbeat).
    public static func renewLeases(_ jobs: [Job], lease: Double, on database: Database) async throws {
        guard !jobs.isEmpty else { return }
        try await database.query(
            """
            UPDATE job SET lease_expires_at = now() + make_interval(secs => \(lease)::float8)
            FROM unnest(\(jobs.map(\.id))::bigint[], \(jobs.map(\.attempt))::int[]) AS held(id, attempt)
            WHERE job.id = held.id AND job.attempt = held.attempt AND job.state = 'running'
            """)
    }

    /// Jobs by state, for /metrics. On a leased connection with a short deadline (`timeout` seconds): a
    /// count over a large table must neither hold up the point reads batched behind it on a pipelined
    /// connection nor keep a scrape waiting.
    public static func countByState(on database: Database, timeout: Double) async throws -> [(state: String, count: Int)] {
        let result = try await database.withConnection { connection in
            try await connection.query("SELECT state, count(*) FROM job GROUP BY state ORDER BY state", timeout: timeout)
        }
        return try result.rows.map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
    }

    /// Hands jobs a stopping worker did not finish back to the queue, runnable at once, and wakes the other
    /// workers. The interrupted attempt is recorded in `errors`: its handler may have done part of its work.
    public static func handBack(_ jobs: [Job], reason: String, on database: Database) async throws {
        guard !jobs.isEmpty else { return }
        try await database.query(
            """
            WITH returned AS (
                UPDATE job SET state = 'available', scheduled_at = now(), lease_expires_at = NULL,
                    errors = errors || jsonb_build_array(jsonb_build_object('at', now(), 'attempt', job.attempt, 'error', \(reason)::text))
                FROM unnest(\(jobs.map(\.id))::bigint[], \(jobs.map(\.attempt))::int[]) AS held(id, attempt)
                WHERE job.id = held.id AND job.attempt = held.attempt AND job.state = 'running'
                RETURNING job.id
            )
            SELECT pg_notify(\(channel), '') FROM (SELECT 1 FROM returned LIMIT 1) AS any_returned
            """)
    }
}
