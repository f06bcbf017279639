import BlockingWork

/// A connection lent to one caller for the duration of `Database.withConnection` or `withTransaction`. Its
/// statements run one at a time, on the process's `BlockingPool`.
///
/// Not Sendable, on purpose: it belongs to the task that leased it, and the compiler refuses to hand it to
/// another task, so that an `async let` or a task group inside a transaction cannot send two statements on
/// one libpq connection at once ("sending 'connection' risks causing data races"). Run concurrent work
/// through `Database.query` (the pipelined path) or in a transaction of its own.
///
/// Every statement has a deadline: the `timeout` given to `query`, else the connection's statement timeout
/// plus a second (PostgreSQL's own `statement_timeout` normally ends it first, with no cancel request;
/// this one also holds behind a pooler that drops the session setting). When the caller's task is
/// cancelled (its HTTP client left, its job timed out), the running statement is cancelled at once with
/// libpq's cancel request and the call throws `CancellationError`. A connection for which a cancel request
/// was sent is closed at the end of the lease rather than handed on, so a request that arrived late can
/// never stop the next holder's statement.
public final class LeasedConnection {
    private let connection: Connection
    private let blocking: BlockingPool
    private(set) var inTransaction = false

    init(connection: Connection, blocking: BlockingPool) {
        self.connection = connection
        self.blocking = blocking
    }

    public var backendPID: Int { connection.backendPID }

    /// Runs one statement; `timeout` (seconds) replaces the default deadline, e.g. a shorter one for a
    /// search or a metrics count.
    @discardableResult
    public func query(_ sql: SQL, timeout: Double? = nil) async throws -> QueryResult {
        let deadline = self.deadline(timeout)
        return try await run { try $0.execute(sql, deadline: deadline) }
    }

    /// Text without parameters (several statements allowed). Never pass a client's value here.
    @discardableResult
    public func execute(simple text: String, timeout: Double? = nil) async throws -> QueryResult {
        let deadline = self.deadline(timeout)
        return try await run { try $0.execute(simple: text, deadline: deadline) }
    }

    func begin() async throws {
        try await execute(simple: "BEGIN")
        inTransaction = true
    }

    func commit() async throws {
        try await execute(simple: "COMMIT")
        inTransaction = false
    }

    func rollback() async throws {
        try await execute(simple: "ROLLBACK")
        inTransaction = false
    }

    private func deadline(_ timeout: Double?) -> UInt64? { connection.leaseDeadline(timeout) }

    private func run(_ body: @escaping @Sendable (Connection) throws -> QueryResult) async throws -> QueryResult {
        try await connection.runLeased(on: blocking, body)
    }
}
