import Customers
import Jobs
import Postgres

/// The SQL of imports: staging an upload, reading imports and their errors. The rows themselves are
/// written by `CustomerImporter`, next to which their SQL lives.
public struct CustomerImportRepository: Sendable {
    public static let jobKind = "customer.import"
    /// Attempts of an import job: a crash is resumed where the last batch ended, so few are needed.
    static let maxAttempts = 10

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Stages a file: `feed` hands its bytes to the upload as they arrive. In one transaction, so a
    /// malformed file (an `InvalidInput` naming the line, thrown by the upload or `feed`) leaves nothing.
    /// The import's job is enqueued at the end, runnable by any worker; with `claimedBy`, it is enqueued
    /// already claimed by that runner (`JobQueue.enqueueClaimed`), which runs it itself.
    public func stage(
        _ options: ImportOptions, claimedBy runner: (name: String, lease: Double)? = nil,
        feed: (ImportUpload) async throws -> Void
    ) async throws -> (import: CustomerImport, job: Job?) {
        try await database.withTransaction { connection in
            let upload = ImportUpload(options: options, connection: connection)
            try await feed(upload)
            try await upload.finish()
            // The unique key keeps one unfinished job per import, and finds it again below through its index.
            let newJob = NewJob(
                kind: Self.jobKind, args: try JSONText(encoding: ["import_id": upload.id]), maxAttempts: Self.maxAttempts,
                uniqueKey: Self.jobKey(upload.id))
            var job: Job?
            if let runner {
                job = try await JobQueue.enqueueClaimed(newJob, worker: runner.name, lease: runner.lease, on: connection)
            } else {
                try await JobQueue.enqueue(newJob, on: connection)
            }
            let rows = try await connection.query(
                """
                WITH staged AS (
                    UPDATE customer_import SET rows_total = \(upload.rows), bytes = \(upload.size),
                        job_id = (SELECT id FROM job WHERE unique_key = \(Self.jobKey(upload.id))
                                  AND state NOT IN ('completed', 'discarded', 'cancelled'))
                    WHERE id = \(upload.id)
                    RETURNING *
                )
                SELECT \(CustomerImport.columns) FROM staged i LEFT JOIN job j ON j.id = i.job_id
                """)
            return (try CustomerImport(row: rows.first!), job)
        }
    }

    /// Hands an unfinished import to a fresh job (see `CustomerImportHandler`): completes `job`, enqueues the
    /// next and points the import at it, in one transaction. Nil when `job` was no longer this attempt's.
    func continueImport(_ id: String, after job: Job) async throws -> Int? {
        try await database.withTransaction { connection in
            let next = NewJob(
                kind: Self.jobKind, args: job.args, maxAttempts: Self.maxAttempts, uniqueKey: Self.jobKey(id))
            guard let jobID = try await JobQueue.continueAs(next, after: job, on: connection) else { return nil }
            try await connection.query("UPDATE customer_import SET job_id = \(jobID) WHERE id = \(id)")
            return jobID
        }
    }

    static func jobKey(_ importID: String) -> String { "\(jobKind)/\(importID)" }

    /// The import's row, once the upload's header is read (its chunks refer to it).
    static func insert(_ upload: ImportUpload, on connection: LeasedConnection) async throws {
        try await connection.query(
            """
            INSERT INTO customer_import (id, on_conflict, welcome_email, columns)
            VALUES (\(upload.id), \(upload.options.onConflict.rawValue), \(upload.options.welcomeEmail),
                    \((upload.columns ?? []).map(\.rawValue))::text[])
            """)
    }

    /// The import with its first errors; nil when there is none with this id.
    public func find(id: String) async throws -> CustomerImport? {
        let rows = try await database.query(
            """
            SELECT \(Self.columnsWithErrors) FROM customer_import i LEFT JOIN job j ON j.id = i.job_id WHERE i.id = \(id)
            """)
        return try rows.first.map { try Self.decode($0, offset: 0) }
    }

    /// Imports, newest first, with the total number of imports.
    public func list(limit: Int, offset: Int) async throws -> (imports: [CustomerImport], count: Int) {
        let rows = try await database.query(
            """
            SELECT (SELECT count(*) FROM customer_import) AS total, page.*
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (
                SELECT \(Self.columnsWithErrors) FROM customer_import i LEFT JOIN job j ON j.id = i.job_id
                ORDER BY i.created_at DESC, i.id DESC LIMIT \(limit) OFFSET \(offset)
            ) AS page ON true
            ORDER BY page.created_at DESC, page.id DESC
            """)
        guard let first = rows.first else { return ([], 0) }
        let imports = try rows.rows.filter { !$0.result.isNull(row: $0.index, column: 1) }.map {
            try Self.decode($0, offset: 1)
        }
        return (imports, try first.decode(Int.self, at: 0))
    }

    /// The import's columns and its first errors as JSON (`[{"line", "message"}, …]`).
    private static let columnsWithErrors: SQL = """
        \(CustomerImport.columns),
        (SELECT json_agg(json_build_object('line', e.line, 'message', e.message) ORDER BY e.line)::text
         FROM (SELECT line, message FROM customer_import_error WHERE import_id = i.id
               ORDER BY line LIMIT \(CustomerImport.errorsShown)) AS e) AS errors
        """

    private static func decode(_ row: Row, offset: Int) throws -> CustomerImport {
        var found = try CustomerImport(row: row, offset: offset)
        if let text = row.text(at: offset + 15) { found.errors = try JSONText(text).decode([CustomerImport.RowError].self) }
        return found
    }

    /// Every failed row of an import (line, email, message), by line, through a cursor; nil when there is no
    /// such import.
    public func openErrors(id: String) async throws -> RowCursor? {
        guard try await database.query("SELECT 1 FROM customer_import WHERE id = \(id)").rowCount == 1 else { return nil }
        return try await RowCursor.open(
            "SELECT line, email, message FROM customer_import_error WHERE import_id = \(id) ORDER BY line",
            on: database, batchSize: 1000)
    }
}
