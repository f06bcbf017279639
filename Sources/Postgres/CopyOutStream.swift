import BlockingWork
import CShims

/// A query's rows as CSV made by PostgreSQL itself (`COPY (query) TO STDOUT (FORMAT csv)`), handed out in
/// chunks of about `chunkSize` bytes, on a connection leased for the stream's lifetime. Memory stays at a
/// chunk or two whatever the size of the result, and no row is decoded on this side: the bytes go on as the
/// server wrote them (only each row's final newline is replaced by `rowEnding`).
///
/// COPY takes no parameters, so the query's bound values travel another way, never spliced into its text:
/// each is set as a transaction-local setting (`set_config('clientele.copy_parameter_n', $1, true)`, a bound
/// statement) and the query reads it back with `current_setting(…)` where it had `$n` (NULL stays NULL).
/// The values come back as text: every parameter of a copied query needs a cast where its type matters
/// (`\(flag)::boolean`), as the filters of `CustomerListQuery` have.
///
/// The COPY is one statement for the whole result, so PostgreSQL's `statement_timeout` is lifted for its
/// transaction; the pool's deadline applies to each wait for rows instead: the server staying silent for
/// the statement timeout while the stream waits is a 57014, as a statement past its deadline is. The next
/// chunk is read while the caller handles the current one. Open it, call `next()` until it returns nil, and
/// `close()` it; a stream closed early cancels its COPY (PQcancel), drains what the server had sent, and the
/// connection is then closed rather than handed on, as after any cancel request (README, "Deadlines and
/// cancellation").
///
/// An actor, as `RowCursor` is: its state and its one connection are touched by one call at a time; the read
/// running ahead is the only call in flight, and every other call waits for it first.
public actor CopyOutStream {
    private let leases: LeasePool
    private let blocking: BlockingPool
    private let connection: Connection
    private let chunkSize: Int
    private let rowEnding: [UInt8]
    /// The read running while the caller handles the previous chunk: the chunk and whether more follows.
    private var pending: Task<Chunk, any Error>?
    private var isCopying = false
    private var isReleased = false
    private var inTransaction = false

    private init(database: Database, connection: Connection, chunkSize: Int, rowEnding: [UInt8]) {
        leases = database.leases
        blocking = database.blocking
        self.connection = connection
        self.chunkSize = chunkSize
        self.rowEnding = rowEnding
    }

    /// Leases a connection, begins a read-only transaction, applies `settings` and the query's parameters
    /// (they end with the transaction) and starts the COPY. The first chunk is read before this returns, so
    /// that a query failing before its first row fails here, before the caller has written anything.
    public static func open(
        csvOf query: SQL, on database: Database, chunkSize: Int = 128 * 1024, rowEnding: [UInt8] = [0x0A],
        settings: [(name: String, value: String)] = []
    ) async throws -> CopyOutStream {
        let connection = try await database.leases.acquire()
        let stream = CopyOutStream(
            database: database, connection: connection, chunkSize: max(1, chunkSize), rowEnding: rowEnding)
        var assignments: [SQL] = settings.map { "set_config(\($0.name), \($0.value), true)" }
        for (index, value) in query.binds.enumerated() where value != nil {
            assignments.append("set_config(\(parameterSetting(index + 1)), \(value), true)")
        }
        if database.options.statementTimeout != nil {
            assignments.append("set_config('statement_timeout', '0', true)")
        }
        let text = query.text(placeholder: { index in
            query.binds[index - 1] == nil ? "NULL" : "current_setting('\(parameterSetting(index))')"
        })
        do {
            try await stream.begin(assignments: assignments, copy: "COPY (\(text)) TO STDOUT (FORMAT csv)")
        } catch {
            await stream.close()
            throw error
        }
        return stream
    }

    private func begin(assignments: [SQL], copy: String) async throws {
        try await run { try $0.execute(simple: "BEGIN READ ONLY", deadline: $0.leaseDeadline(nil)) }
        inTransaction = true
        if !assignments.isEmpty {
            let statement = "SELECT " + SQL.join(assignments, ", ")
            try await run { try $0.execute(statement, deadline: $0.leaseDeadline(nil)) }
        }
        let timeout = self.timeout
        try await run { try $0.startCopyOut(copy, timeout: timeout) }
        isCopying = true
        readAhead()
        // The first chunk is kept for `next()`; a failure shows here.
        _ = try await pending!.value
    }

    /// The next chunk (whole rows, about `chunkSize` bytes), or nil once every row was read.
    public func next() async throws -> [UInt8]? {
        guard let chunk = try await awaitPending() else { return nil }
        if chunk.more { readAhead() } else { isCopying = false }
        return chunk.bytes.isEmpty && !chunk.more ? nil : chunk.bytes
    }

    /// Ends the COPY (cancelled, if rows remain), the transaction, and gives the connection back.
    public func close() async {
        guard !isReleased else { return }
        isReleased = true
        // A read that failed ended the copy with its error.
        if pending != nil { isCopying = (try? await awaitPending())?.more ?? false }
        if isCopying && !connection.isLostInLease {
            isCopying = false
            // Not as a task that may itself be cancelled: the connection must come out of the copy either way.
            let connection = self.connection
            if (try? await blocking.run { connection.abandonCopyOut() }) != true { connection.markLostInLease() }
        }
        if inTransaction && !connection.isLostInLease && !connection.sentCancelRequest {
            _ = try? await run { try $0.execute(simple: "ROLLBACK", deadline: $0.leaseDeadline(nil)) }
            if !connection.isLostInLease { inTransaction = false }
        }
        leases.release(connection, inTransaction: inTransaction)
    }

    private struct Chunk: Sendable {
        var bytes: [UInt8]
        /// False once the copy has ended.
        var more: Bool
    }

    /// The setting that carries parameter `index` (our own name: it may be written into the text).
    static func parameterSetting(_ index: Int) -> String { "clientele.copy_parameter_\(index)" }

    /// Nanoseconds the server may stay silent while the stream waits for rows: the pool's statement timeout.
    private var timeout: UInt64? {
        connection.options.statementTimeout.map { UInt64(max(0, $0) * 1e9) }
    }

    private func readAhead() {
        let (connection, blocking, chunkSize, rowEnding, timeout) =
            (self.connection, self.blocking, self.chunkSize, self.rowEnding, self.timeout)
        pending = Task {
            let read = try await connection.runLeased(on: blocking) {
                try $0.readCopyRows(limit: chunkSize, rowEnding: rowEnding, timeout: timeout)
            }
            return Chunk(bytes: read.rows, more: read.more)
        }
    }

    /// The read running ahead, if any: its chunk, or its error.
    private func awaitPending() async throws -> Chunk? {
        guard let pending else { return nil }
        self.pending = nil
        return try await pending.value
    }

    /// One call on the stream's connection, with a leased statement's cancellation.
    @discardableResult
    private func run<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await connection.runLeased(on: blocking, body)
    }

    deinit {
        // Abandoned without close(): the connection comes back closed once the call running ahead has ended.
        if !isReleased { leases.releaseAbandoned(connection, after: pending) }
    }
}
