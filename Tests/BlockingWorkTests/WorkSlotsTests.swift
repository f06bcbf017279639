@testable import BlockingWork
import Foundation
import Synchronization
import Testing

@Suite struct WorkSlotsTests {
    /// Set once, read from another task.
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    /// A task's result, once it has one.
    final class Outcome: Sendable {
        private let result = Mutex<Result<Void, any Error>?>(nil)
        func set(_ value: Result<Void, any Error>) { result.withLock { $0 = value } }
        var value: Result<Void, any Error>? { result.withLock { $0 } }
    }

    /// Polls `condition` every 10 ms for at most `seconds` (generous: `make test` runs every suite at once).
    func eventually(_ seconds: Double = 30, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    /// `task`'s outcome, or nil if it has none after `seconds`: a waiter that ignored its cancellation would
    /// otherwise hang the test (awaiting a task's result cannot be cancelled, so it is awaited aside).
    func outcome(of task: Task<Void, any Error>, within seconds: Double) async throws -> Result<Void, any Error>? {
        let outcome = Outcome()
        Task { outcome.set(await task.result) }
        _ = try await eventually(seconds) { outcome.value != nil }
        return outcome.value
    }

    @Test func aWaiterCancelledInTheQueueLeavesItAtOnceAndTheSlotGoesToTheNext() async throws {
        let slots = WorkSlots(count: 1)
        try await slots.acquire()
        let cancelledGotASlot = Flag()
        let cancelled = Task {
            try await slots.acquire()
            cancelledGotASlot.set()
        }
        #expect(try await eventually { slots.waiting == 1 })
        let nextGotASlot = Flag()
        let next = Task {
            try await slots.acquire()
            nextGotASlot.set()
        }
        #expect(try await eventually { slots.waiting == 2 })

        cancelled.cancel()
        // Without anyone releasing a slot: the cancelled waiter must answer on its own.
        let result = try await outcome(of: cancelled, within: 30)
        guard result != nil else {
            Issue.record("the cancelled waiter stayed in the queue")
            // Lets both waiters through, so the test ends.
            slots.release()
            slots.release()
            return
        }
        #expect(throws: CancellationError.self) { try result?.get() }
        #expect(slots.waiting == 1)

        // The slot goes to the waiter behind it, never to the one that left.
        slots.release()
        #expect(try await eventually { nextGotASlot.isSet })
        try await next.value
        #expect(!cancelledGotASlot.isSet)
        #expect(slots.waiting == 0)
        // One slot, held by `next`: its release frees it for the next caller at once.
        slots.release()
        try await slots.acquire()
        slots.release()
    }

    @Test func aTaskAlreadyCancelledTakesNoSlot() async throws {
        let slots = WorkSlots(count: 1)
        let task = Task { () -> Bool in
            withUnsafeCurrentTask { $0?.cancel() }
            do { try await slots.acquire() } catch is CancellationError { return false }
            // It took a slot: gives it back, so the test ends.
            slots.release()
            return true
        }
        #expect(try await task.value == false, "a cancelled task took a slot")
        // The slot is still free.
        try await slots.acquire()
        #expect(slots.waiting == 0)
        slots.release()
    }
}
