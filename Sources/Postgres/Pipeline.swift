import CLibPQ
import CShims
import Foundation
import Glibc

/// One thread owning one connection in libpq's pipeline mode. It takes whatever is queued (up to
/// `batchLimit`), sends it as one batch with a sync after each statement, so one statement's failure
/// aborts no other, flushes once, and hands each result to its caller as it is read.
///
/// Deadlines: each statement is bounded by the session's `statement_timeout` on its own (the server times
/// each sync-separated statement separately). Cancellation: statements whose caller gave up are dropped
/// before sending (`PendingStatement.isAbandoned`); a cancel request is never sent here (see
/// `Database.query`). Prepared statements are kept in an LRU (`PreparedStatementCache`); an evicted one is
/// DEALLOCATEd in a sync segment of its own, ahead of the statement that evicted it.
// @unchecked: its mutable state (connection, prepared names) is touched only by the one thread `start` makes.
final class PipelineRunner: @unchecked Sendable {
    private let queue: StatementQueue
    private let options: ConnectionOptions
    private let batchLimit: Int
    private let acquireTimeoutNanoseconds: UInt64
    private let statistics: PoolStatistics
    private var connection: LibPQConnection?
    private var preparedStatements: PreparedStatementCache
    /// Silence on the socket this long while results are due means the server or the network is gone
    /// (no RST ever came): the batch fails as a lost connection instead of waiting forever. Each result
    /// restarts it; one statement may run up to the statement timeout, so it is that plus a margin.
    private let stallLimitMilliseconds: Int32

    init(
        queue: StatementQueue, options: ConnectionOptions, batchLimit: Int, acquireTimeout: Double,
        statistics: PoolStatistics
    ) {
        self.queue = queue
        self.options = options
        self.batchLimit = batchLimit
        self.acquireTimeoutNanoseconds = UInt64(acquireTimeout * 1e9)
        self.statistics = statistics
        preparedStatements = PreparedStatementCache(prefix: "p", capacity: options.preparedStatementLimit)
        stallLimitMilliseconds = options.statementTimeout.map { Int32(min(86_400_000, ($0 + 30) * 1000)) } ?? -1
    }

    func start(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    private func run() {
        while let batch = queue.takeBatch(limit: batchLimit) {
            // A statement that waited longer than the acquire timeout gets the same answer as a lease that
            // did: its caller has likely given up, and the database is behind. One whose caller was
            // cancelled is not sent at all.
            let now = monotonicNanoseconds()
            var fresh: [PendingStatement] = []
            fresh.reserveCapacity(batch.count)
            for item in batch {
                if item.isAbandoned { continue }
                if now - item.enqueuedAt > acquireTimeoutNanoseconds {
                    statistics.recordTimeout()
                    item.finish(.failure(PostgresError.poolExhausted))
                } else {
                    fresh.append(item)
                }
            }
            if fresh.isEmpty { continue }
            statistics.pipelinedInFlight(fresh.count)
            let connection: LibPQConnection
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
        connection = nil
    }

    /// The thread's connection, replaced when the server closed it while idle.
    private func liveConnection() throws -> LibPQConnection {
        if let connection, connection.isAlive { return connection }
        dropConnection()
        let fresh = try LibPQConnection(options)
        guard PQenterPipelineMode(fresh.handle) == 1, PQsetnonblocking(fresh.handle, 1) == 0 else {
            throw PostgresError(kind: .client, message: "could not enter pipeline mode")
        }
        connection = fresh
        return fresh
    }

    private func dropConnection() {
        connection = nil
        preparedStatements.removeAll()
    }

    /// What was sent for one statement of the batch, in the order its results come back.
    private struct Sent {
        /// A DEALLOCATE of an evicted statement went first, in a sync segment of its own.
        var deallocated = false
        /// The name it is being prepared under in this batch (its PREPARE's result comes first).
        var preparing: String?
    }

    private func execute(_ batch: [PendingStatement], on connection: LibPQConnection) {
        let handle = connection.handle
        var sent: [Sent] = []
        sent.reserveCapacity(batch.count)
        for item in batch {
            let text = item.sql.text
            var entry = Sent()
            let accepted: Int32
            if options.usePreparedStatements {
                var name = preparedStatements.name(for: text)
                if name == nil {
                    let (newName, evicted) = preparedStatements.insert(text)
                    if let evicted {
                        // Our own name (a letter and a counter), so it may be written into the statement.
                        guard PQsendQueryParams(handle, "DEALLOCATE \(evicted)", 0, nil, nil, nil, nil, 0) == 1,
                            PQpipelineSync(handle) == 1
                        else { return fail(batch, from: 0, connection: connection) }
                        entry.deallocated = true
                    }
                    guard PQsendPrepare(handle, newName, text, Int32(item.sql.binds.count), nil) == 1 else {
                        return fail(batch, from: 0, connection: connection)
                    }
                    entry.preparing = newName
                    name = newName
                }
                accepted = withParameters(item.sql.binds) { values, count in
                    PQsendQueryPrepared(handle, name, count, values, nil, nil, 0)
                }
            } else {
                accepted = withParameters(item.sql.binds) { values, count in
                    PQsendQueryParams(handle, text, count, nil, values, nil, nil, 0)
                }
            }
            guard accepted == 1, PQpipelineSync(handle) == 1 else {
                return fail(batch, from: 0, connection: connection)
            }
            sent.append(entry)
        }
        guard flush(handle) else { return fail(batch, from: 0, connection: connection) }

        for (index, item) in batch.enumerated() {
            // The DEALLOCATE's own segment: its outcome concerns nobody (a name that is gone is gone).
            if sent[index].deallocated {
                guard let results = readSegment(handle) else { return fail(batch, from: index, connection: connection) }
                for result in results { PQclear(result) }
            }
            guard let results = readSegment(handle) else { return fail(batch, from: index, connection: connection) }
            var firstError: PostgresError?
            var rows: QueryResult?
            var awaitingPrepare = sent[index].preparing
            for result in results {
                let status = PQresultStatus(result)
                if let name = awaitingPrepare {
                    awaitingPrepare = nil
                    if status != PGRES_COMMAND_OK {
                        preparedStatements.remove(item.sql.text, ifNamed: name)
                        firstError = firstError ?? LibPQConnection.error(from: result, connection: handle)
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
                    firstError = firstError ?? LibPQConnection.error(from: result, connection: handle)
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

    /// The results of one sync segment, up to (and without) its PIPELINE_SYNC; nil when the connection broke
    /// or lost track of the stream. The caller clears them (or hands them on).
    private func readSegment(_ handle: OpaquePointer) -> [OpaquePointer]? {
        var results: [OpaquePointer] = []
        var consecutiveNulls = 0
        while true {
            guard waitUntilReadable(handle) else {
                for result in results { PQclear(result) }
                return nil
            }
            guard let result = PQgetResult(handle) else {
                consecutiveNulls += 1
                // Between commands libpq returns one NULL; more means we lost track of the stream.
                if consecutiveNulls > 2 {
                    for result in results { PQclear(result) }
                    return nil
                }
                continue
            }
            consecutiveNulls = 0
            if PQresultStatus(result) == PGRES_PIPELINE_SYNC {
                PQclear(result)
                return results
            }
            results.append(result)
        }
    }

    /// Every statement of the batch from `index` on fails with a connection error; the connection goes.
    private func fail(_ batch: [PendingStatement], from index: Int, connection: LibPQConnection) {
        let message = LibPQConnection.errorMessage(of: connection.handle)
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
            let ready = poll(&descriptor, 1, stallLimitMilliseconds)
            if ready == 0 { return false }  // nothing moved for the stall limit
            if ready < 0 && errno != EINTR { return false }
            if descriptor.revents & Int16(POLLIN) != 0 && PQconsumeInput(handle) == 0 { return false }
        }
    }

    /// Waits until PQgetResult will not block. False when the connection broke or stalled.
    private func waitUntilReadable(_ handle: OpaquePointer) -> Bool {
        while PQisBusy(handle) == 1 {
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, stallLimitMilliseconds)
            if ready == 0 { return false }  // no byte for the stall limit
            if ready < 0 && errno != EINTR { return false }
            if PQconsumeInput(handle) == 0 { return false }
            // Output may still be pending when the socket buffer was full during flush.
            if PQflush(handle) < 0 { return false }
        }
        return PQstatus(handle) == CONNECTION_OK
    }
}
