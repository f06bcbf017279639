import Synchronization

/// At most `count` callers at once; the others wait their turn, in order, suspended (no thread is parked
/// while it waits, unlike a semaphore's wait()). A caller whose task is cancelled while it waits leaves the
/// queue at once with `CancellationError` and never takes a slot (as `LeasePool`'s waiters do): a login
/// whose client left holds no place in front of the next one.
final class WorkSlots: Sendable {
    private struct State {
        var free: Int
        var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextWaiterID = 0
    }

    let count: Int
    private let state: Mutex<State>

    init(count: Int) {
        self.count = max(1, count)
        state = Mutex(State(free: self.count))
    }

    /// Takes a slot, waiting for one if none is free; throws `CancellationError` if the task is cancelled
    /// before it got one. The caller calls `release()` once for each `acquire()` that returned.
    func acquire() async throws {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Checked under the lock that the cancellation takes: either the waiter is queued before the
                // cancellation looks for it, or the cancellation came first and it never takes a slot.
                let granted: Bool? = state.withLock { state in
                    if Task.isCancelled { return nil }
                    guard state.free > 0 else {
                        state.waiting.append((id, continuation))
                        return false
                    }
                    state.free -= 1
                    return true
                }
                switch granted {
                case nil: continuation.resume(throwing: CancellationError())
                case true?: continuation.resume()
                case false?: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Hands the slot to the first waiter, if any (it stays taken), else frees it.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst().continuation
        }
        next?.resume()
    }

    /// Callers waiting for a slot now.
    var waiting: Int { state.withLock { $0.waiting.count } }
}
