import Glibc
import SharedMetrics
import Testing

/// `SharedMetricsRegion` on its real anonymous shared mapping, written by forked processes as `serve`'s workers
/// write it: counter 0 and 1 are counters, gauge 0 a gauge.
@Suite struct SharedMetricsRegionTests {
    let region = SharedMetricsRegion(rows: 4, counters: 2, gauges: 1)

    @Test func aChildsCountsAndRowAreSeenByTheParent() {
        region.row(0).increment(0, by: 5)
        let child = ForkedChild {
            let row = region.row(2)
            row.increment(0, by: 7)
            row.increment(1)
            row.set(gauge: 0, to: 9)
            return 0
        }
        #expect(child.outcome() == .exited(0))
        // Row 2 was handed out in the child only: the parent's sums include it all the same.
        #expect(region.totalCounter(0) == 12)
        #expect(region.totalCounter(1) == 1)
        #expect(region.totalGauge(0) == 9)
    }

    @Test func theParentsWritesReachAChildWhileBothRun() {
        let row = region.row(0)
        let child = ForkedChild {
            // Answers on counter 1 once it sees the parent's 42 on counter 0.
            guard waitUntil({ region.row(0).value(0) == 42 }) else { return 1 }
            region.row(1).increment(1, by: 100)
            return 0
        }
        row.increment(0, by: 42)
        #expect(waitUntil { region.totalCounter(1) == 100 })
        #expect(child.outcome() == .exited(0))
    }

    @Test func incrementsOfManyProcessesAtOnceAreAllCounted() {
        // Three processes on rows of their own and two more sharing row 3: the adds are atomic across processes.
        let perProcess: UInt64 = 50_000
        let start = region.row(0)
        let children = [1, 2, 3, 3, 3].map { index in
            ForkedChild {
                let row = region.row(index)
                guard waitUntil({ start.value(1) == 1 }) else { return 1 }
                for _ in 0..<perProcess { row.increment(0) }
                return 0
            }
        }
        start.increment(1)
        for child in children { #expect(child.outcome() == .exited(0)) }
        #expect(region.totalCounter(0) == 5 * perProcess)
        #expect(region.row(3).value(0) == 3 * perProcess)
    }

    @Test func aRetiredWorkersCountersStayInTheTotalsAndItsGaugesLeaveThem() {
        let child = ForkedChild {
            let row = region.row(1)
            row.increment(0, by: 3)
            row.set(gauge: 0, to: 4)
            return 0
        }
        #expect(child.outcome() == .exited(0))
        region.row(2).set(gauge: 0, to: 1)
        #expect(region.totalGauge(0) == 5)

        region.retire(1)  // as the master does when the worker of row 1 has exited
        #expect(region.totalCounter(0) == 3)
        #expect(region.totalGauge(0) == 1)
        #expect(region.row(1).value(0) == 0)

        // Its replacement starts its row from zero; the totals never go down.
        let replacement = ForkedChild {
            region.row(1).increment(0, by: 2)
            return 0
        }
        #expect(replacement.outcome() == .exited(0))
        #expect(region.totalCounter(0) == 5)
        region.retire(1)
        region.retire(1)
        #expect(region.totalCounter(0) == 5)
    }

    @Test func theLastRowIsAnOrdinaryRowApartFromTheRetiredOne() {
        let last = region.row(region.rows - 1)
        last.increment(0, by: 11)
        last.set(gauge: 0, to: 2)
        region.row(0).increment(0, by: 1)
        region.retire(0)
        #expect(last.value(0) == 11)
        #expect(region.totalCounter(0) == 12)
        #expect(region.totalGauge(0) == 2)
        region.retire(region.rows - 1)
        #expect(region.totalCounter(0) == 12)
        #expect(region.totalGauge(0) == 0)
    }

    @Test func raiseKeepsTheHighestValueSeen() {
        let row = region.row(0)
        row.raise(0, to: 10)
        row.raise(0, to: 4)
        #expect(row.value(0) == 10)
        row.raise(0, to: 12)
        #expect(region.totalCounter(0) == 12)
    }

    @Test func aRowPastTheLastIsRefused() {
        // The limit is a precondition: the child that asks for row `rows` stops there and writes nothing.
        let child = ForkedChild {
            trapQuietly()
            region.row(region.rows).increment(0)
            return 0
        }
        let outcome = child.outcome()
        #expect(outcome == .killed(signal: SIGILL) || outcome == .killed(signal: SIGTRAP), "\(outcome)")
        #expect(region.totalCounter(0) == 0)
    }
}
