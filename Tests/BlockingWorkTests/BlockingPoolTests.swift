import BlockingWork
import Foundation
import Synchronization
import Testing

@Suite struct BlockingPoolTests {
    /// Counts the calls running at once and remembers the most.
    final class Overlap: Sendable {
        private let running = Atomic<Int>(0)
        private let most = Atomic<Int>(0)

        func enter() {
            let now = running.add(1, ordering: .relaxed).newValue
            var seen = most.load(ordering: .relaxed)
            while now > seen {
                let (exchanged, original) = most.compareExchange(expected: seen, desired: now, ordering: .relaxed)
                if exchanged { break }
                seen = original
            }
        }

        func leave() { running.subtract(1, ordering: .relaxed) }
        var mostAtOnce: Int { most.load(ordering: .relaxed) }

        /// A stand-in for a blocking call (a password hash): holds its thread until `count` calls ran at once,
        /// or `seconds` passed.
        func hold(untilRunning count: Int, orSeconds seconds: Double) {
            enter()
            defer { leave() }
            let deadline = Date().addingTimeInterval(seconds)
            while most.load(ordering: .relaxed) < count && Date() < deadline { usleep(1000) }
        }
    }

    @Test func aProcessRunsAtMostItsHashingSlotsAtOnceWithThreadsToSpare() async throws {
        let blocking = BlockingPool(threads: 8, hashingSlots: 2)
        defer { blocking.shutdown() }
        let overlap = Overlap()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Each waits (at most half a second) for a third to run beside it: without the bound one would.
            for _ in 0..<8 {
                group.addTask { try await blocking.runHashing { overlap.hold(untilRunning: 3, orSeconds: 0.5) } }
            }
            try await group.waitForAll()
        }
        // Eight threads were free: only the slots kept the hashes to two at once.
        #expect(overlap.mostAtOnce <= 2)
        // Other blocking calls are not held back by the hashing slots.
        let plain = Overlap()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { try await blocking.run { plain.hold(untilRunning: 4, orSeconds: 60) } } }
            try await group.waitForAll()
        }
        #expect(plain.mostAtOnce == 4)
    }

    @Test func theWorkersOfServeShareTheCoresBetweenThem() {
        #expect(BlockingPool.hashingSlots(workers: 2, cores: 2) == 1)
        #expect(BlockingPool.hashingSlots(workers: 2, cores: 8) == 4)
        #expect(BlockingPool.hashingSlots(workers: 4, cores: 2) == 1)
        #expect(BlockingPool.hashingSlots(workers: 1, cores: 6) == 6)
    }
}
