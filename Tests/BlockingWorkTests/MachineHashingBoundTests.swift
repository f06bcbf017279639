import BlockingWork
import Foundation
import Testing

@Suite struct MachineHashingBoundTests {
    /// Two pools stand for two workers of `serve` (in one process here): each may run two hashes, the machine
    /// two in all.
    @Test func poolsThatShareTheBoundRunAtMostItsSlotsAtOnceBetweenThem() async throws {
        let machine = try MachineHashingBound(slots: 2)
        defer { machine.remove() }
        let pools = (0..<2).map { _ in BlockingPool(threads: 8, hashingSlots: 2, machineHashing: machine) }
        defer { for pool in pools { pool.shutdown() } }
        let overlap = BlockingPoolTests.Overlap()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Each waits (at most half a second) for a third to run beside it: without the bound four would.
            for index in 0..<8 {
                group.addTask {
                    try await pools[index % 2].runHashing { overlap.hold(untilRunning: 3, orSeconds: 0.5) }
                }
            }
            try await group.waitForAll()
        }
        #expect(overlap.mostAtOnce == 2)
        // What the bound saw, counted in the kernel, agrees; every slot came back.
        #expect(machine.mostHashesAtOnce == 2)
        #expect(machine.freeSlots == 2)
    }

    /// The master removes the set on its way out; a hash that comes later still runs, without the bound.
    @Test func aRemovedBoundNoLongerHoldsHashesBack() async throws {
        let machine = try MachineHashingBound(slots: 1)
        let pool = BlockingPool(threads: 2, hashingSlots: 1, machineHashing: machine)
        defer { pool.shutdown() }
        machine.remove()
        #expect(machine.freeSlots == nil)
        #expect(try await pool.runHashing { 42 } == 42)
    }
}
