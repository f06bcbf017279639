import BlockingWork
import Foundation
import Synchronization

/// Connections lent to one caller at a time, for transactions and anything else that needs session state.
/// At most `capacity` are open; a caller waits up to the acquire timeout for one, then gets `poolExhausted`.
final class LeasePool: Sendable {
    private struct State {
        var idle: [Connection] = []
        var open = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Connection?, any Error>)] = []
        var nextWaiterID = 0
        var isShutdown = false
    }

    private let state = Mutex(State())
    private let options: ConnectionOptions
    private let capacity: Int
    private let acquireTimeout: Duration
    private let blocking: BlockingPool
    private let statistics: PoolStatistics

    init(
        options: ConnectionOptions, capacity: Int, acquireTimeout: Double, blocking: BlockingPool,
        statistics: PoolStatistics
    ) {
        self.options = options
        self.capacity = max(1, capacity)
        self.acquireTimeout = .milliseconds(Int(acquireTimeout * 1000))
        self.blocking = blocking
        self.statistics = statistics
    }

    private enum Decision {
        case reuse(Connection)
        case open
        case wait
        case shutdown
    }

    /// A live connection, either idle, newly opened, or handed over by a caller that released one; its lease
    /// starts clean (`Connection.startLease`).
    func acquire() async throws -> Connection {
        let connection = try await acquireLive()
        connection.startLease()
        return connection
    }

    private func acquireLive() async throws -> Connection {
        while true {
            let decision: Decision = state.withLock { state in
                if state.isShutdown { return .shutdown }
                if let connection = state.idle.popLast() { return .reuse(connection) }
                if state.open < capacity {
                    state.open += 1
                    return .open
                }
                return .wait
            }
            switch decision {
            case .shutdown:
                throw PostgresError.connection("the pool is shut down")
            case .reuse(let connection):
                // Checked before reuse: a connection that died while idle is replaced, not handed out.
                if connection.isAlive {
                    publish()
                    return connection
                }
                discard(connection)
            case .open:
                return try await openConnection()
            case .wait:
                if let connection = try await waitForRelease() { return connection }
                // nil: a slot was freed for us to open a connection in.
                return try await openConnection()
            }
        }
    }

    /// Gives the connection back at the end of a lease. One the lease may not hand on (lost, left inside a
    /// transaction, or cancelled: `Connection.isReusableAfterLease`) is closed, and its slot goes to the next
    /// waiter.
    func release(_ connection: Connection, inTransaction: Bool) {
        if !connection.isReusableAfterLease(inTransaction: inTransaction) || !connection.isAlive {
            discard(connection)
            return
        }
        let waiter: CheckedContinuation<Connection?, any Error>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.idle.append(connection)
            return nil
        }
        waiter?.resume(returning: connection)
        publish()
    }

    /// For a stream dropped without `close()` (its deinit): once the call still running on the connection has
    /// ended, the connection comes back closed, since it may be in the middle of a statement or a transaction.
    func releaseAbandoned<T: Sendable>(_ connection: Connection, after running: Task<T, any Error>?) {
        Task {
            _ = try? await running?.value
            discard(connection)
        }
    }

    func shutdown() {
        let (idle, waiters) = state.withLock { state in
            state.isShutdown = true
            defer {
                state.open -= state.idle.count
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        for connection in idle { connection.close() }
        for waiter in waiters { waiter.continuation.resume(throwing: PostgresError.connection("the pool is shut down")) }
    }

    private func openConnection() async throws -> Connection {
        do {
            let options = self.options
            let connection = try await blocking.run { try Connection(options) }
            publish()
            return connection
        } catch {
            freeSlot()
            throw error
        }
    }

    private func discard(_ connection: Connection) {
        connection.close()
        freeSlot()
    }

    /// One connection fewer is open: a waiter, if any, may open one in its place.
    private func freeSlot() {
        let waiter: CheckedContinuation<Connection?, any Error>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.open -= 1
            return nil
        }
        waiter?.resume(returning: nil)
        publish()
    }

    /// Waits in the queue until a connection (or a free slot, nil) is handed over, the acquire timeout
    /// passes (`poolExhausted`), or the caller's task is cancelled: then it leaves the queue at once with
    /// `CancellationError` (as postgres-nio's pool does), so a request whose client left holds no place.
    private func waitForRelease() async throws -> Connection? {
        statistics.waiting(1)
        defer { statistics.waiting(-1) }
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = acquireTimeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // Checked under the lock that `leaveQueue` takes: either the waiter is registered before a
                // cancellation looks for it, or the cancellation came first and it never queues.
                let queued = state.withLock { state in
                    if Task.isCancelled { return false }
                    state.waiters.append((id, continuation))
                    return true
                }
                guard queued else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                // Started once the waiter is registered, so it cannot fire before there is anything to
                // expire. Not cancelled on success: it then finds no waiter and does nothing.
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.leaveQueue(id, with: PostgresError.poolExhausted)
                }
            }
        } onCancel: {
            leaveQueue(id, with: CancellationError())
        }
    }

    /// Takes waiter `id` out of the queue, if it is still there, and answers it with `error`.
    private func leaveQueue(_ id: Int, with error: any Error) {
        let waiter: CheckedContinuation<Connection?, any Error>? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        guard let waiter else { return }
        if error is PostgresError { statistics.recordTimeout() }
        waiter.resume(throwing: error)
    }

    private func publish() {
        let (open, idle) = state.withLock { ($0.open, $0.idle.count) }
        statistics.leased(inUse: open - idle, idle: idle)
    }
}
