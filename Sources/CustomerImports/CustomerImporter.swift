import CSV
import Customers
import Jobs
import Passwords
import Postgres

/// Runs an import: reads its stored rows in batches and writes each batch in a transaction of its own,
/// together with the import's progress and the batch's failed rows.
///
/// Guarantees, and where they are kept:
/// - A row is written at most once however often the run restarts: a batch's customers and the progress
///   that counts them commit together (`apply`), and a run resumes at `rows_done`, the first row not
///   committed.
/// - Two runs never interleave: each batch locks the import's row and goes on only if `rows_done` is what
///   this run last wrote and, for a job, the job is still at this run's attempt (a worker whose lease ran
///   out while it was stalled finds another attempt in charge and stops).
/// - A failed row never stops the others: a row the rules refuse is recorded and counted; a row the
///   database refuses (a value it cannot store) is found by replaying the batch row by row under savepoints.
/// - Cancellation (a job timeout, a stopping worker) is honoured between batches: what committed stays.
public struct CustomerImporter: Sendable {
    /// Rows per batch and transaction (IMPORT_BATCH_SIZE).
    public static let defaultBatchSize = 1000

    let database: Database
    let hashing: PasswordHashing
    let batchSize: Int

    public init(database: Database, hashing: PasswordHashing, batchSize: Int = defaultBatchSize) {
        self.database = database
        self.hashing = hashing
        self.batchSize = max(1, batchSize)
    }

    /// The run was overtaken: another attempt (or run) moved the import on. This one stops; it is no
    /// failure of the import.
    public struct Superseded: Error, CustomStringConvertible {
        public var description: String { "another run of this import went on meanwhile; this one stops" }
    }

    /// A customer with a row's email was created by someone else between the lookup and the insert. The
    /// batch is rolled back and the job retried; the next try finds that customer.
    struct LostRace: Error, CustomStringConvertible {
        var description: String { "a customer with an imported email was created meanwhile; the batch will be retried" }
    }

    /// Runs (or resumes) import `id` to its end, or until `deadline` passes (checked between batches: the
    /// import is then still `running`, to be continued). `job` is the attempt running it, nil for a run
    /// without a job. `progress` is called after every batch that committed.
    @discardableResult
    public func run(
        id: String, job: Job?, until deadline: ContinuousClock.Instant? = nil,
        progress: (@Sendable (CustomerImport) -> Void)? = nil
    ) async throws -> CustomerImport {
        let repository = CustomerImportRepository(database: database)
        guard var current = try await repository.find(id: id) else { throw CustomerImportError.notFound(id) }
        try await database.query(
            """
            UPDATE customer_import SET state = 'running', started_at = coalesce(started_at, now()), updated_at = now()
            WHERE id = \(id) AND state = 'queued'
            """)
        if current.rowsDone >= current.rowsTotal && current.state != .completed {
            try await database.withTransaction { connection in
                try await lock(id, expecting: current.rowsDone, job: job, on: connection)
                try await Self.record(BatchOutcome(), of: current, on: connection)
            }
        }
        while current.rowsDone < current.rowsTotal {
            try Task.checkCancellation()
            let records = try await rows(of: id, from: current.rowsDone)
            var start = 0
            while start < records.count {
                try Task.checkCancellation()
                if let deadline, ContinuousClock.now >= deadline { return current }
                let batch = Array(records[start..<min(start + batchSize, records.count)])
                let outcome = try await apply(batch, to: current, job: job)
                current.rowsDone += batch.count
                current.rowsCreated += outcome.created
                current.rowsUpdated += outcome.updated
                current.rowsSkipped += outcome.skipped
                current.rowsFailed += outcome.failures.count
                if current.rowsDone >= current.rowsTotal { current.state = .completed }
                progress?(current)
                start += batch.count
            }
        }
        return try await repository.find(id: id) ?? current
    }

    /// The stored records from data row `first` (0-based) to the end of the chunk that holds it.
    private func rows(of id: String, from first: Int) async throws -> [CSVRecord] {
        let result = try await database.query(
            """
            SELECT first_line, first_row, data FROM customer_import_chunk
            WHERE import_id = \(id) AND first_row <= \(first)
            ORDER BY seq DESC LIMIT 1
            """)
        guard let chunk = result.first else {
            throw PermanentJobError("import \(id): the stored file has no row \(first + 1) (its chunks are gone)")
        }
        let firstRow: Int = try chunk.decode(at: 1)
        var reader = CSVReader(firstLine: try chunk.decode(at: 0))
        var records: [CSVRecord] = []
        var index = firstRow
        try chunk.result.bytes(row: 0, column: 2).map { bytes in
            var offset = 0
            while true {
                switch try reader.next(bytes, from: offset, isFinal: true) {
                case .record(let record, let end):
                    if index >= first { records.append(record) }
                    index += 1
                    offset = end
                case .blank(let end):
                    offset = end
                case .end, .needMore:
                    return
                }
            }
        }
        return records
    }

    // MARK: One batch

    /// What a batch did.
    struct BatchOutcome {
        var created = 0
        var updated = 0
        var skipped = 0
        var failures: [ImportRow.Failure] = []
        var rows = 0
    }

    private func apply(_ records: [CSVRecord], to current: CustomerImport, job: Job?) async throws -> BatchOutcome {
        var outcome = BatchOutcome()
        outcome.rows = records.count
        var valid: [ImportRow.Valid] = []
        for record in records {
            switch ImportRow.check(record, columns: current.columns) {
            case .success(let row): valid.append(row)
            case .failure(let failure): outcome.failures.append(failure)
            }
        }
        let hashes = try await hashPasswords(of: valid)
        let writes = valid.indices.map { ImportWrite(row: valid[$0], passwordHash: hashes[$0]) }
        try await database.withTransaction { connection in
            try await lock(current.id, expecting: current.rowsDone, job: job, on: connection)
            let statement = ImportBatchStatement(columns: current.columns, options: current.options)
            let groups = try await statement.ensureGroups(named: Set(writes.flatMap(\.row.groups)), on: connection)
            try await connection.execute(simple: "SAVEPOINT import_batch")
            do {
                let counts = try await statement.write(writes, groups: groups, on: connection)
                outcome.created = counts.created
                outcome.updated = counts.updated
                outcome.skipped = counts.skipped
            } catch let error as PostgresError where error.isInvalidInput {
                // Some row holds a value the database refuses: find it by writing the rows one by one.
                try await connection.execute(simple: "ROLLBACK TO SAVEPOINT import_batch")
                let replay = try await statement.writeOneByOne(writes, groups: groups, on: connection)
                outcome.created = replay.counts.created
                outcome.updated = replay.counts.updated
                outcome.skipped = replay.counts.skipped
                outcome.failures += replay.failures
            }
            try await Self.record(outcome, of: current, on: connection)
        }
        return outcome
    }

    /// Hashes the passwords of the rows that have one (scrypt, off the cooperative pool, a few at once).
    private func hashPasswords(of rows: [ImportRow.Valid]) async throws -> [String?] {
        var hashes = [String?](repeating: nil, count: rows.count)
        let hashing = self.hashing
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var running = 0
            for (index, row) in rows.enumerated() {
                guard let password = row.draft.password else { continue }
                if running >= 4, let (done, hash) = try await group.next() {
                    hashes[done] = hash
                    running -= 1
                }
                group.addTask { (index, try await hashing.hash(password)) }
                running += 1
            }
            for try await (done, hash) in group { hashes[done] = hash }
        }
        return hashes
    }

    /// Locks the import's row for this batch and checks that the run is still the one in charge.
    private func lock(_ id: String, expecting rowsDone: Int, job: Job?, on connection: LeasedConnection) async throws {
        let rows = try await connection.query(
            """
            SELECT i.rows_done,
                   \(job == nil)::boolean
                   OR EXISTS (SELECT 1 FROM job WHERE id = \(job?.id ?? 0)::bigint AND attempt = \(job?.attempt ?? 0)::int
                              AND state = 'running')
            FROM customer_import i WHERE i.id = \(id) FOR UPDATE OF i
            """)
        guard let row = rows.first, try row.decode(Int.self, at: 0) == rowsDone, try row.decode(Bool.self, at: 1)
        else { throw Superseded() }
    }

    /// The batch's failed rows and the progress it made, in the batch's transaction. The batch that ends the
    /// import completes it and drops the stored file (its rows are customers now; the errors stay).
    static func record(_ outcome: BatchOutcome, of current: CustomerImport, on connection: LeasedConnection) async throws {
        if !outcome.failures.isEmpty {
            try await connection.query(
                """
                INSERT INTO customer_import_error (import_id, line, email, message)
                SELECT \(current.id), line, email, message
                FROM unnest(\(outcome.failures.map(\.line))::int[], \(outcome.failures.map(\.email))::text[],
                            \(outcome.failures.map(\.message))::text[]) AS failed (line, email, message)
                ON CONFLICT (import_id, line) DO NOTHING
                """)
        }
        let done = current.rowsDone + outcome.rows
        let completes = done >= current.rowsTotal
        try await connection.query(
            """
            UPDATE customer_import SET
                rows_done = \(done), rows_created = rows_created + \(outcome.created),
                rows_updated = rows_updated + \(outcome.updated), rows_skipped = rows_skipped + \(outcome.skipped),
                rows_failed = rows_failed + \(outcome.failures.count),
                state = CASE WHEN \(completes) THEN 'completed' ELSE 'running' END,
                completed_at = CASE WHEN \(completes) THEN now() END,
                updated_at = now()
            WHERE id = \(current.id)
            """)
        if completes { try await connection.query("DELETE FROM customer_import_chunk WHERE import_id = \(current.id)") }
    }
}

/// A valid row on its way into the customer table.
struct ImportWrite: Sendable {
    var row: ImportRow.Valid
    var passwordHash: String?
}
