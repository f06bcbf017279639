import BlockingWork
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
    /// The process's pool for blocking calls: leased connections' statements and connects run there, and
    /// the modules above (password hashing, mail) find it here.
    public let blocking: BlockingPool
    /// Whether `blocking` was made here (and is shut down with the database) rather than handed in.
    private let ownsBlocking: Bool
    private let statistics = PoolStatistics()

    /// `blocking`: the process's one pool for blocking calls (a `serve` worker, the job worker and the
    /// commands each make one after fork and hand it in). Without one the database makes a pool of its own,
    /// a thread per leased connection (tests and the pool benchmark).
    public init(
        options: ConnectionOptions, configuration: PoolConfiguration = PoolConfiguration(), blocking: BlockingPool? = nil
    ) {
        self.options = options
        self.configuration = configuration
        queue = StatementQueue(capacity: configuration.queueCapacity)
        self.blocking = blocking ?? BlockingPool(threads: configuration.leasedConnections)
        ownsBlocking = blocking == nil
        leases = LeasePool(
            options: options, capacity: configuration.leasedConnections,
            acquireTimeout: configuration.acquireTimeout, blocking: self.blocking, statistics: statistics)
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
        let leased = LeasedConnection(connection: connection, blocking: blocking)
        do {
            let value = try await body(leased)
            leases.release(connection, inTransaction: leased.inTransaction)
            return value
        } catch {
            leases.release(connection, inTransaction: leased.inTransaction)
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
        if ownsBlocking { blocking.shutdown() }
    }
}
