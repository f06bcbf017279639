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

    /// Runs one statement on its own (autocommit) through the pipelined path.
    @discardableResult
    public func query(_ sql: SQL) async throws -> QueryResult {
        let enqueuedAt = monotonicNanoseconds()
        return try await withCheckedThrowingContinuation { continuation in
            queue.enqueue(PendingStatement(sql: sql, enqueuedAt: enqueuedAt, continuation: continuation))
        }
    }

    /// Lends a connection for `body`. It goes back to the pool afterwards, or is closed if it broke.
    public func withConnection<T: Sendable>(_ body: (LeasedConnection) async throws -> T) async throws -> T {
        let connection = try await leases.acquire()
        let leased = LeasedConnection(connection: connection, executor: executor)
        do {
            let value = try await body(leased)
            leases.release(connection, reusable: !leased.isBroken && !leased.inTransaction)
            return value
        } catch {
            leases.release(connection, reusable: !leased.isBroken && !leased.inTransaction)
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

    @discardableResult
    public func query(_ sql: SQL) async throws -> QueryResult {
        try await run { try $0.execute(sql) }
    }

    /// Text without parameters (several statements allowed). Never pass a client's value here.
    @discardableResult
    public func execute(simple text: String) async throws -> QueryResult {
        try await run { try $0.execute(simple: text) }
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

    private func run(_ body: @escaping @Sendable (Connection) throws -> QueryResult) async throws -> QueryResult {
        if isBroken { throw PostgresError.connection("connection lost earlier in this lease") }
        let connection = self.connection
        do {
            return try await executor.run { try body(connection) }
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
