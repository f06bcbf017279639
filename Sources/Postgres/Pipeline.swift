import CLibPQ
import Foundation
import Glibc

/// A statement waiting for a pipelined connection, with the task that awaits its result.
struct PendingStatement: Sendable {
    let sql: SQL
    let enqueuedAt: UInt64
    let continuation: CheckedContinuation<QueryResult, any Error>

    func finish(_ result: Result<QueryResult, any Error>) { continuation.resume(with: result) }
}

/// The queue that the pipeline threads drain. Bounded: when it is full, a caller gets `poolExhausted` at once
/// instead of waiting behind thousands of others.
final class StatementQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [PendingStatement] = []
    private var head = 0
    private var isShutdown = false
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count - head
    }

    func enqueue(_ item: PendingStatement) {
        condition.lock()
        if isShutdown || items.count - head >= capacity {
            condition.unlock()
            item.finish(.failure(isShutdown ? PostgresError.connection("the pool is shut down") : PostgresError.poolExhausted))
            return
        }
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    /// Blocks until at least one statement is queued; returns up to `limit` of them, or nil after shutdown.
    func takeBatch(limit: Int) -> [PendingStatement]? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !isShutdown { condition.wait() }
        if items.count == head { return nil }
        let end = min(items.count, head + limit)
        let batch = Array(items[head..<end])
        head = end
        if head > 1024 || head == items.count {
            items.removeFirst(head)
            head = 0
        }
        return batch
    }

    /// Stops the threads; statements still queued fail.
    func shutdown() {
        condition.lock()
        isShutdown = true
        let rest = items[head...]
        items = []
        head = 0
        condition.broadcast()
        condition.unlock()
        for item in rest { item.finish(.failure(PostgresError.connection("the pool is shut down"))) }
    }
}

/// One thread owning one connection in libpq's pipeline mode. It takes whatever is queued (up to
/// `batchLimit`), sends it as one batch with a sync after each statement, so one statement's failure
/// aborts no other, flushes once, and hands each result to its caller as it is read.
final class PipelineRunner: @unchecked Sendable {
    private let queue: StatementQueue
    private let options: ConnectionOptions
    private let batchLimit: Int
    private let acquireTimeoutNanoseconds: UInt64
    private let statistics: PoolStatistics
    private var connection: Connection?
    private var preparedStatements: [String: String] = [:]

    init(
        queue: StatementQueue, options: ConnectionOptions, batchLimit: Int, acquireTimeout: Double,
        statistics: PoolStatistics
    ) {
        self.queue = queue
        self.options = options
        self.batchLimit = batchLimit
        self.acquireTimeoutNanoseconds = UInt64(acquireTimeout * 1e9)
        self.statistics = statistics
    }

    func start(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    private func run() {
        while let batch = queue.takeBatch(limit: batchLimit) {
            // A statement that waited longer than the acquire timeout gets the same answer as a lease that
            // did: its caller has likely given up, and the database is behind.
            let now = monotonicNanoseconds()
            var fresh: [PendingStatement] = []
            fresh.reserveCapacity(batch.count)
            for item in batch {
                if now - item.enqueuedAt > acquireTimeoutNanoseconds {
                    statistics.recordTimeout()
                    item.finish(.failure(PostgresError.poolExhausted))
                } else {
                    fresh.append(item)
                }
            }
            if fresh.isEmpty { continue }
            statistics.pipelinedInFlight(fresh.count)
            let connection: Connection
            do {
                connection = try liveConnection()
            } catch {
                for item in fresh { item.finish(.failure(error)) }
                statistics.pipelinedInFlight(-fresh.count)
                continue
            }
            execute(fresh, on: connection)
            statistics.pipelinedInFlight(-fresh.count)
        }
        connection?.close()
    }

    /// The thread's connection, replaced when the server closed it while idle.
    private func liveConnection() throws -> Connection {
        if let connection, connection.isAlive { return connection }
        connection?.close()
        connection = nil
        preparedStatements = [:]
        let fresh = try Connection(options)
        guard PQenterPipelineMode(fresh.handle) == 1, PQsetnonblocking(fresh.handle, 1) == 0 else {
            throw PostgresError(kind: .client, message: "could not enter pipeline mode")
        }
        connection = fresh
        return fresh
    }

    private func dropConnection() {
        connection?.close()
        connection = nil
        preparedStatements = [:]
    }

    private func execute(_ batch: [PendingStatement], on connection: Connection) {
        let handle = connection.handle
        // Statements prepared in this batch: name and whether the prepare's result is still to be read.
        var preparing: [Int: String] = [:]
        var namesInBatch: [String: String] = [:]
        for (index, item) in batch.enumerated() {
            let text = item.sql.text
            let sent: Int32
            if options.usePreparedStatements {
                var name = preparedStatements[text] ?? namesInBatch[text]
                if name == nil {
                    let newName = "p\(preparedStatements.count + namesInBatch.count + 1)"
                    guard PQsendPrepare(handle, newName, text, Int32(item.sql.binds.count), nil) == 1 else {
                        return fail(batch, from: 0, connection: connection)
                    }
                    preparing[index] = newName
                    namesInBatch[text] = newName
                    name = newName
                }
                sent = withParameters(item.sql.binds) { values, count in
                    PQsendQueryPrepared(handle, name, count, values, nil, nil, 0)
                }
            } else {
                sent = withParameters(item.sql.binds) { values, count in
                    PQsendQueryParams(handle, text, count, nil, values, nil, nil, 0)
                }
            }
            guard sent == 1, PQpipelineSync(handle) == 1 else {
                return fail(batch, from: 0, connection: connection)
            }
        }
        guard flush(handle) else { return fail(batch, from: 0, connection: connection) }

        for (index, item) in batch.enumerated() {
            var firstError: PostgresError?
            var rows: QueryResult?
            var awaitingPrepare = preparing[index] != nil
            var consecutiveNulls = 0
            while true {
                guard waitUntilReadable(handle) else { return fail(batch, from: index, connection: connection) }
                guard let result = PQgetResult(handle) else {
                    consecutiveNulls += 1
                    // Between commands libpq returns one NULL; more means we lost track of the stream.
                    if consecutiveNulls > 2 { return fail(batch, from: index, connection: connection) }
                    continue
                }
                consecutiveNulls = 0
                let status = PQresultStatus(result)
                if status == PGRES_PIPELINE_SYNC {
                    PQclear(result)
                    break
                }
                if awaitingPrepare {
                    awaitingPrepare = false
                    if status == PGRES_COMMAND_OK {
                        preparedStatements[item.sql.text] = preparing[index]
                    } else {
                        firstError = firstError ?? Connection.error(from: result, connection: handle)
                    }
                    PQclear(result)
                    continue
                }
                switch status {
                case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                    rows = QueryResult(owning: result)
                case PGRES_PIPELINE_ABORTED:
                    PQclear(result)
                default:
                    firstError = firstError ?? Connection.error(from: result, connection: handle)
                    PQclear(result)
                }
            }
            if let rows, firstError == nil {
                item.finish(.success(rows))
            } else {
                item.finish(.failure(firstError ?? PostgresError(kind: .client, message: "no result for statement")))
            }
        }
    }

    /// Every statement of the batch from `index` on fails with a connection error; the connection goes.
    private func fail(_ batch: [PendingStatement], from index: Int, connection: Connection) {
        let message = Connection.errorMessage(of: connection.handle)
        dropConnection()
        for item in batch[index...] {
            item.finish(.failure(PostgresError.connection("connection lost: \(message)")))
        }
    }

    /// Sends all buffered output, reading input meanwhile so the server never blocks on a full socket.
    private func flush(_ handle: OpaquePointer) -> Bool {
        while true {
            let status = PQflush(handle)
            if status == 0 { return true }
            if status < 0 { return false }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN | POLLOUT), revents: 0)
            if poll(&descriptor, 1, -1) < 0 && errno != EINTR { return false }
            if descriptor.revents & Int16(POLLIN) != 0 && PQconsumeInput(handle) == 0 { return false }
        }
    }

    /// Waits until PQgetResult will not block. False when the connection broke.
    private func waitUntilReadable(_ handle: OpaquePointer) -> Bool {
        while PQisBusy(handle) == 1 {
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, -1) < 0 && errno != EINTR { return false }
            if PQconsumeInput(handle) == 0 { return false }
            // Output may still be pending when the socket buffer was full during flush.
            if PQflush(handle) < 0 { return false }
        }
        return PQstatus(handle) == CONNECTION_OK
    }
}
