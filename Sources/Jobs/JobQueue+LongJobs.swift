import Postgres

/// What long jobs (a CSV import of a million rows) need beyond the queue's basics.
extension JobQueue {
    /// Inserts a job that is already claimed by `worker` (running, attempt 1, leased for `lease` seconds),
    /// in the caller's transaction: for a process that runs the job it creates itself (`clientele import
    /// customers`), so that no worker takes it meanwhile. The caller renews the lease while it works
    /// (`renewLeases`) and completes the job at the end; if it dies, the lease runs out and the rescuer hands
    /// the job to the workers, which finish it.
    public static func enqueueClaimed(
        _ job: NewJob, worker: String, lease: Double, on connection: LeasedConnection
    ) async throws -> Job {
        let result = try await connection.query(
            """
            INSERT INTO job (kind, args, state, priority, max_attempts, attempt, attempted_at, attempted_by,
                             lease_expires_at, unique_key)
            VALUES (\(job.kind), \(job.args)::jsonb, 'running', \(job.priority)::smallint, \(job.maxAttempts)::int, 1,
                    now(), \(worker), now() + make_interval(secs => \(lease)::float8), \(job.uniqueKey))
            RETURNING id, kind, args, attempt, max_attempts
            """)
        return try Job(row: result.first!)
    }

    /// Completes this attempt and enqueues its continuation, in one statement in the caller's transaction:
    /// a job that works in steps (an import's batches) and would outlast its time limit does part of its
    /// work, then hands the rest to a fresh job of the same kind, which starts at attempt 0 with no backoff.
    /// The unique key may stay the same (the finished job no longer holds it). Returns the new job's id, or
    /// nil when this attempt was no longer the job's (its lease ran out and another took it).
    public static func continueAs(_ next: NewJob, after job: Job, on connection: LeasedConnection) async throws -> Int? {
        let result = try await connection.query(
            """
            WITH finished AS (
                UPDATE job SET state = 'completed', finalized_at = now(), lease_expires_at = NULL
                WHERE id = \(job.id)::bigint AND attempt = \(job.attempt)::int AND state = 'running'
                RETURNING id
            ), continued AS (
                INSERT INTO job (kind, args, priority, max_attempts, unique_key)
                SELECT \(next.kind), \(next.args)::jsonb, \(next.priority)::smallint, \(next.maxAttempts)::int, \(next.uniqueKey)
                FROM finished
                RETURNING id
            )
            SELECT id, pg_notify(\(channel), '') FROM continued
            """)
        return try result.first.map { try $0.decode(Int.self, at: 0) }
    }
}
