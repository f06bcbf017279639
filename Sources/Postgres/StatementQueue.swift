import Foundation
import Synchronization

/// A statement waiting for a pipelined connection, with the task that awaits its result. Its caller is
/// answered exactly once: by the pipeline thread with the result, or at once with `CancellationError` when
/// the caller's task is cancelled first (`abandon()`); whatever comes second is dropped.
final class PendingStatement: Sendable {
    private enum State {
        /// Made, not yet awaited.
        case created
        case awaiting(CheckedContinuation<QueryResult, any Error>)
        /// The caller was cancelled: a pipeline thread that finds it still queued does not send it.
        case abandoned
        case answered
    }

    let sql: SQL
    let enqueuedAt: UInt64
    private let state = Mutex(State.created)

    init(sql: SQL, enqueuedAt: UInt64) {
        self.sql = sql
        self.enqueuedAt = enqueuedAt
    }

    /// Connects the awaiting task. False when it was cancelled already (it has been answered).
    func attach(_ continuation: CheckedContinuation<QueryResult, any Error>) -> Bool {
        let attached = state.withLock { state in
            guard case .created = state else { return false }
            state = .awaiting(continuation)
            return true
        }
        if !attached { continuation.resume(throwing: CancellationError()) }
        return attached
    }

    /// The caller's task was cancelled: it is answered now, and the statement's result will be dropped.
    func abandon() {
        let continuation: CheckedContinuation<QueryResult, any Error>? = state.withLock { state in
            switch state {
            case .created:
                state = .abandoned
                return nil
            case .awaiting(let continuation):
                state = .abandoned
                return continuation
            case .abandoned, .answered:
                return nil
            }
        }
        continuation?.resume(throwing: CancellationError())
    }

    var isAbandoned: Bool {
        state.withLock { state in
            if case .abandoned = state { return true }
            return false
        }
    }

    func finish(_ result: Result<QueryResult, any Error>) {
        let continuation: CheckedContinuation<QueryResult, any Error>? = state.withLock { state in
            guard case .awaiting(let continuation) = state else { return nil }
            state = .answered
            return continuation
        }
        continuation?.resume(with: result)
    }
}

/// The queue that the pipeline threads drain. Bounded: when it is full, a caller gets `poolExhausted` at once
/// instead of waiting behind thousands of others.
// @unchecked: every field is read and written under `condition`'s lock.
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
