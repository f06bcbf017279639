import BlockingWork
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
///
/// An actor, so Sendable by construction (an export hands it to the response body's writer): its state and
/// its one connection are touched by one call at a time; the fetch running ahead is the only statement in
/// flight, and every other statement waits for it first.
public actor RowCursor {
    private let leases: LeasePool
    private let blocking: BlockingPool
    private let connection: Connection
    private let batchSize: Int
    /// The fetch running while the caller handles the previous batch.
    private var pending: Task<QueryResult, any Error>?
    private var isExhausted = false
    private var isReleased = false
    private var inTransaction = false

    private init(database: Database, connection: Connection, batchSize: Int) {
        leases = database.leases
        blocking = database.blocking
        self.connection = connection
        self.batchSize = batchSize
    }

    /// Leases a connection, begins a read-only transaction, applies `settings` (with `set_config(name,
    /// value, true)`: they end with the transaction) and declares the cursor. The first batch is fetched
    /// before this returns, so that a failing query fails here, before the caller has written anything.
    public static func open(
        _ sql: SQL, on database: Database, batchSize: Int = 1000, settings: [(name: String, value: String)] = []
    ) async throws -> RowCursor {
        let connection = try await database.leases.acquire()
        let cursor = RowCursor(database: database, connection: connection, batchSize: max(1, batchSize))
        do {
            try await cursor.begin(sql, settings: settings)
        } catch {
            await cursor.close()
            throw error
        }
        return cursor
    }

    private func begin(_ sql: SQL, settings: [(name: String, value: String)]) async throws {
        try await run { try $0.execute(simple: "BEGIN READ ONLY", deadline: $1) }
        inTransaction = true
        for setting in settings {
            let statement: SQL = "SELECT set_config(\(setting.name), \(setting.value), true)"
            try await run { try $0.execute(statement, deadline: $1) }
        }
        let declare = "DECLARE clientele_rows NO SCROLL CURSOR FOR " + sql
        try await run { try $0.execute(declare, deadline: $1) }
        prefetch()
        // The first batch is kept for `next()`; a failure shows here (and again in `close()`).
        _ = try await pending?.value
    }

    /// The next batch of rows (at most `batchSize`), or nil once every row was read.
    public func next() async throws -> QueryResult? {
        guard let batch = try await awaitPending() else { return nil }
        if batch.rowCount < batchSize { isExhausted = true }
        if batch.rowCount == 0 { return nil }
        prefetch()
        return batch
    }

    /// Ends the transaction and gives the connection back to the pool.
    public func close() async {
        guard !isReleased else { return }
        isReleased = true
        _ = try? await awaitPending()
        if inTransaction && !connection.isLostInLease {
            _ = try? await run { try $0.execute(simple: "ROLLBACK", deadline: $1) }
            if !connection.isLostInLease { inTransaction = false }
        }
        leases.release(connection, inTransaction: inTransaction)
    }

    private func prefetch() {
        guard !isExhausted, !connection.isLostInLease else { return }
        let (connection, blocking) = (self.connection, self.blocking)
        let statement = "FETCH FORWARD \(batchSize) FROM clientele_rows"
        pending = Task {
            try await connection.runLeased(on: blocking) { try $0.execute(simple: statement, deadline: $0.leaseDeadline(nil)) }
        }
    }

    /// The fetch running ahead, if any: its batch, or its error.
    private func awaitPending() async throws -> QueryResult? {
        guard let pending else { return nil }
        self.pending = nil
        return try await pending.value
    }

    /// One statement on the cursor's connection, with a leased statement's deadline and cancellation.
    @discardableResult
    private func run(_ body: @escaping @Sendable (Connection, UInt64?) throws -> QueryResult) async throws -> QueryResult {
        try await connection.runLeased(on: blocking) { try body($0, $0.leaseDeadline(nil)) }
    }

    deinit {
        // Abandoned without close(): the connection comes back closed once the call running ahead has ended.
        if !isReleased { leases.releaseAbandoned(connection, after: pending) }
    }
}
