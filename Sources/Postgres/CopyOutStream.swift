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
public final class CopyOutStream: @unchecked Sendable {
    private let database: Database
    private let connection: Connection
    private let leased: LeasedConnection
    private let chunkSize: Int
    private let rowEnding: [UInt8]
    /// The read running while the caller handles the previous chunk: the chunk and whether more follows.
    private var pending: Task<Chunk, any Error>?
    private var isCopying = false
    private var isReleased = false

    private init(database: Database, connection: Connection, chunkSize: Int, rowEnding: [UInt8]) {
        self.database = database
        self.connection = connection
        self.leased = LeasedConnection(connection: connection, executor: database.executor)
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
        connection.resetInterrupt()
        let stream = CopyOutStream(
            database: database, connection: connection, chunkSize: max(1, chunkSize), rowEnding: rowEnding)
        do {
            try await stream.leased.begin()
            try await stream.leased.execute(simple: "SET TRANSACTION READ ONLY")
            var assignments: [SQL] = settings.map { "set_config(\($0.name), \($0.value), true)" }
            for (index, value) in query.binds.enumerated() where value != nil {
                assignments.append("set_config(\(parameterSetting(index + 1)), \(value), true)")
            }
            if database.options.statementTimeout != nil {
                assignments.append("set_config('statement_timeout', '0', true)")
            }
            if !assignments.isEmpty { try await stream.leased.query("SELECT " + SQL.join(assignments, ", ")) }
            let text = query.text(placeholder: { index in
                query.binds[index - 1] == nil ? "NULL" : "current_setting('\(parameterSetting(index))')"
            })
            let timeout = stream.timeout
            try await stream.leased.run { try $0.startCopyOut("COPY (\(text)) TO STDOUT (FORMAT csv)", timeout: timeout) }
            stream.isCopying = true
            stream.readAhead()
            _ = try await stream.pending!.value
        } catch {
            await stream.close()
            throw error
        }
        return stream
    }

    /// The next chunk (whole rows, about `chunkSize` bytes), or nil once every row was read.
    public func next() async throws -> [UInt8]? {
        guard let pending else { return nil }
        self.pending = nil
        let chunk = try await pending.value
        if chunk.more { readAhead() } else { isCopying = false }
        return chunk.bytes.isEmpty && !chunk.more ? nil : chunk.bytes
    }

    /// Ends the COPY (cancelled, if rows remain), the transaction, and gives the connection back.
    public func close() async {
        guard !isReleased else { return }
        isReleased = true
        // A read that failed ended the copy with its error.
        if let pending { isCopying = (try? await pending.value)?.more ?? false }
        pending = nil
        if isCopying {
            isCopying = false
            // Not as a task that may itself be cancelled: the connection must come out of the copy either way.
            _ = try? await database.executor.run { [connection] in connection.abandonCopyOut() }
        }
        if leased.inTransaction && !leased.isBroken && !connection.sentCancelRequest { try? await leased.rollback() }
        database.leases.release(connection, reusable: leased.isReusable)
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
        let (leased, chunkSize, rowEnding, timeout) = (self.leased, self.chunkSize, self.rowEnding, self.timeout)
        pending = Task {
            try await leased.run { connection in
                var chunk: [UInt8] = []
                chunk.reserveCapacity(chunkSize + 4096)
                let more = try connection.readCopyRows(
                    into: &chunk, limit: chunkSize, rowEnding: rowEnding, timeout: timeout)
                return Chunk(bytes: chunk, more: more)
            }
        }
    }

    deinit {
        guard !isReleased else { return }
        // Abandoned without close(): wait for a read still running, then hand the connection back closed (it
        // may still be in the copy, and is inside a transaction either way).
        let (pending, leases, connection) = (self.pending, database.leases, self.connection)
        Task {
            _ = try? await pending?.value
            leases.release(connection, reusable: false)
        }
    }
}
