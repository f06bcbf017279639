import CShims
import Foundation

/// Sizes and limits of one process's pool.
public struct PoolConfiguration: Sendable {
    /// Threads, each owning one connection in pipeline mode, for single autocommit statements.
    public var pipelines: Int = 2
    /// Connections lent out for transactions, LISTEN and session state.
    public var leasedConnections: Int = 8
    /// Seconds a caller waits for a connection before `poolExhausted`.
    public var acquireTimeout: Double = 2
    /// Most statements one pipeline sends at once.
    public var batchLimit: Int = 64
    /// Most statements queued for the pipelines; more fail at once with `poolExhausted`.
    public var queueCapacity: Int = 4096

    public init() {}
}

/// The one front door to PostgreSQL for a process, with two paths:
/// - `query(_:)` sends a single autocommit statement through a pipelined connection (most reads and
///   simple writes): many callers share a few connections and one network round trip per batch;
/// - `withTransaction(_:)` and `withConnection(_:)` lend a connection to one caller for its duration.
public final class Database: Sendable {
    public let options: ConnectionOptions
    public let configuration: PoolConfiguration
    private let queue: StatementQueue
    let leases: LeasePool
    let executor: BlockingExecutor
    private let statistics = PoolStatistics()

    public init(options: ConnectionOptions, configuration: PoolConfiguration = PoolConfiguration()) {
        self.options = options
        self.configuration = configuration
        queue = StatementQueue(capacity: configuration.queueCapacity)
        executor = BlockingExecutor(threads: configuration.leasedConnections, name: "pg-lease")
        leases = LeasePool(
            options: options, capacity: configuration.leasedConnections,
            acquireTimeout: configuration.acquireTimeout, executor: executor, statistics: statistics)
        for index in 0..<max(1, configuration.pipelines) {
            PipelineRunner(
                queue: queue, options: options, batchLimit: configuration.batchLimit,
                acquireTimeout: configuration.acquireTimeout, statistics: statistics
            ).start(name: "pg-pipeline-\(index)")
        }
    }

    /// Runs one statement on its own (autocommit) through the pipelined path. Its deadline is the session's
    /// `statement_timeout` (`ConnectionOptions.statementTimeout`).
    ///
    /// A caller whose task is cancelled gets `CancellationError` at once: a statement still queued is never
    /// sent; one already sent runs to its end (or its timeout) and its result is dropped. No cancel request
    /// goes to a pipelined connection: it would stop whichever statement the backend runs at that moment,
    /// quite possibly another caller's from the same batch (see README, "Deadlines and cancellation").
    @discardableResult
    public func query(_ sql: SQL) async throws -> QueryResult {
        let statement = PendingStatement(sql: sql, enqueuedAt: monotonicNanoseconds())
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if statement.attach(continuation) { queue.enqueue(statement) }
            }
        } onCancel: {
            statement.abandon()
        }
    }

    /// Lends a connection for `body`. It goes back to the pool afterwards, or is closed if it broke (or a
    /// cancel request was sent for one of its statements). A caller cancelled while it waits for a
    /// connection leaves the queue at once with `CancellationError`.
    public func withConnection<T: Sendable>(_ body: (LeasedConnection) async throws -> T) async throws -> T {
        let connection = try await leases.acquire()
        connection.resetInterrupt()
        let leased = LeasedConnection(connection: connection, executor: executor)
        do {
            let value = try await body(leased)
            leases.release(connection, reusable: leased.isReusable)
            return value
        } catch {
            leases.release(connection, reusable: leased.isReusable)
            throw error
        }
    }

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws. When the connection
    /// dies in the middle, the error is a connection error (`isConnectionLost`) and nothing was committed
    /// (unless the COMMIT itself was sent and the answer lost, which no client can tell apart).
    public func withTransaction<T: Sendable>(_ body: (LeasedConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await connection.begin()
            let value: T
            do {
                value = try await body(connection)
            } catch {
                try? await connection.rollback()
                throw error
            }
            try await connection.commit()
            return value
        }
    }

    public var poolStatistics: PoolStatistics.Snapshot { statistics.snapshot(queued: queue.depth) }

    /// Closes every connection; queued statements fail.
    public func shutdown() {
        queue.shutdown()
        leases.shutdown()
        executor.shutdown()
    }
}

/// A connection lent to one caller. Its calls run on the pool's blocking threads.
///
/// Every statement has a deadline: the `timeout` given to `query`, else the connection's statement timeout
/// plus a second (PostgreSQL's own `statement_timeout` normally ends it first, with no cancel request;
/// this one also holds behind a pooler that drops the session setting). When the caller's task is
/// cancelled (its HTTP client left, its job timed out), the running statement is cancelled at once with
/// libpq's cancel request and the call throws `CancellationError`. A connection for which a cancel request
/// was sent is closed at the end of the lease rather than handed on, so a request that arrived late can
/// never stop the next holder's statement.
public final class LeasedConnection: @unchecked Sendable {
    private let connection: Connection
    private let executor: BlockingExecutor
    private(set) var isBroken = false
    private(set) var inTransaction = false

    init(connection: Connection, executor: BlockingExecutor) {
        self.connection = connection
        self.executor = executor
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

    /// Whether the pool may hand the connection to someone else.
    var isReusable: Bool { !isBroken && !inTransaction && !connection.sentCancelRequest }

    private func deadline(_ timeout: Double?) -> UInt64? {
        guard let seconds = timeout ?? connection.options.statementTimeout.map({ $0 + 1 }) else { return nil }
        return monotonicNanoseconds() + UInt64(max(0, seconds) * 1e9)
    }

    /// Runs blocking work on the connection on the pool's threads; a cancelled task interrupts it.
    func run<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        if isBroken { throw PostgresError.connection("connection lost earlier in this lease") }
        let connection = self.connection
        do {
            return try await withTaskCancellationHandler {
                try await executor.run { try body(connection) }
            } onCancel: {
                connection.interrupt()
            }
        } catch let error as PostgresError {
            if error.isConnectionLost || !connection.isAlive {
                isBroken = true
                throw PostgresError(
                    kind: .connection, message: error.message, sqlState: error.sqlState, detail: error.detail)
            }
            throw error
        }
    }
}
