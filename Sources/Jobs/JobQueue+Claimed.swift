import Postgres

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
}
