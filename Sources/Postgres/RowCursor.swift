/// The rows of one query, read in batches through a server-side cursor (`DECLARE … NO SCROLL CURSOR`, then
/// `FETCH FORWARD n`), on a connection leased for the cursor's lifetime. A result of any size goes through
/// constant memory, and the query keeps its bound parameters. (For a result that leaves as CSV,
/// `CopyOutStream` has PostgreSQL write it instead.)
///
/// Open it, call `next()` until it returns nil, and `close()` it (also after an error). The next batch is
/// fetched while the caller works on the current one, so the database and the caller run at the same time.
/// Each statement (the DECLARE, every FETCH) has the pool's deadline on its own; a slow reader only keeps
/// the transaction open between them.
/// A cursor dropped without `close()` gives its connection back anyway (closed, since it is inside a
/// transaction).
public final class RowCursor: @unchecked Sendable {
    private let database: Database
    private let connection: Connection
    private let leased: LeasedConnection
    private let batchSize: Int
    /// The fetch running while the caller handles the previous batch.
    private var pending: Task<QueryResult, any Error>?
    private var isExhausted = false
    private var isReleased = false

    private init(database: Database, connection: Connection, batchSize: Int) {
        self.database = database
        self.connection = connection
        self.leased = LeasedConnection(connection: connection, executor: database.executor)
        self.batchSize = batchSize
    }

    /// Leases a connection, begins a read-only transaction, applies `settings` (with `set_config(name,
    /// value, true)`: they end with the transaction) and declares the cursor. The first batch is fetched
    /// before this returns, so that a failing query fails here, before the caller has written anything.
    public static func open(
        _ sql: SQL, on database: Database, batchSize: Int = 1000, settings: [(name: String, value: String)] = []
    ) async throws -> RowCursor {
        let connection = try await database.leases.acquire()
        connection.resetInterrupt()
        let cursor = RowCursor(database: database, connection: connection, batchSize: max(1, batchSize))
        do {
            try await cursor.leased.begin()
            try await cursor.leased.execute(simple: "SET TRANSACTION READ ONLY")
            for setting in settings {
                try await cursor.leased.query("SELECT set_config(\(setting.name), \(setting.value), true)")
            }
            try await cursor.leased.query("DECLARE clientele_rows NO SCROLL CURSOR FOR " + sql)
            cursor.prefetch()
            _ = try await cursor.pending!.value
        } catch {
            await cursor.close()
            throw error
        }
        return cursor
    }

    /// The next batch of rows (at most `batchSize`), or nil once every row was read.
    public func next() async throws -> QueryResult? {
        guard let pending else { return nil }
        self.pending = nil
        let batch = try await pending.value
        if batch.rowCount < batchSize { isExhausted = true }
        if batch.rowCount == 0 { return nil }
        prefetch()
        return batch
    }

    /// Ends the transaction and gives the connection back to the pool.
    public func close() async {
        guard !isReleased else { return }
        isReleased = true
        _ = try? await pending?.value
        pending = nil
        if leased.inTransaction { try? await leased.rollback() }
        database.leases.release(connection, reusable: leased.isReusable)
    }

    private func prefetch() {
        guard !isExhausted else { return }
        let leased = self.leased
        let statement = "FETCH FORWARD \(batchSize) FROM clientele_rows"
        pending = Task { try await leased.execute(simple: statement) }
    }

    deinit {
        guard !isReleased else { return }
        // Abandoned without close(): wait for a fetch still running, then hand the connection back closed
        // (it is inside a transaction, so it cannot be reused as it is).
        let (pending, leases, connection) = (self.pending, database.leases, self.connection)
        Task {
            _ = try? await pending?.value
            leases.release(connection, reusable: false)
        }
    }
}
