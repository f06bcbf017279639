import CShims
import Glibc

/// Counters and gauges in memory shared by every process of `serve` (mapped by the master before it
/// forks), one row per worker process, so that any worker can answer a scrape with the totals of all of
/// them (as Unicorn's raindrops does). Counters of a worker that exits are folded into a "retired" row by
/// the master, so totals never go down; gauges of a dead worker simply stop counting.
// @unchecked: the pointer is to shared memory touched only through C atomics (CShims); the rest is immutable.
public final class SharedMetricsRegion: @unchecked Sendable {
    public let rows: Int
    public let counters: Int
    public let gauges: Int
    private let base: UnsafeMutablePointer<UInt64>
    private var width: Int { counters + gauges }

    /// `rows` live rows (one per worker process slot) plus one row for retired counters.
    ///
    /// The mapping is sized for every slot the master may ever use (TTIN), but a page of it becomes resident
    /// only when a process touches it: anonymous memory starts zero-filled, so nothing is written here, and
    /// the sums below read only the rows handed out so far (`rowsInUse`). With 2 workers the region costs a
    /// few pages instead of all of its 4 MiB (which zeroing it by hand made resident in the master).
    public init(rows: Int, counters: Int, gauges: Int) {
        self.rows = rows
        self.counters = counters
        self.gauges = gauges
        let words = Self.headerWords + (rows + 1) * (counters + gauges)
        let memory = mmap(nil, words * 8, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
        guard let memory, memory != MAP_FAILED else { fatalError("cannot map shared metrics") }
        header = memory.bindMemory(to: UInt64.self, capacity: words)
        base = header + Self.headerWords
    }

    /// Word 0: one past the highest row index handed out. A cache line of its own keeps it apart from
    /// the counters every worker increments.
    private static let headerWords = 8
    private let header: UnsafeMutablePointer<UInt64>
    private var rowsInUse: Int { Int(cshims_load_u64(header)) }

    /// The row a worker process writes to.
    public func row(_ index: Int) -> SharedMetricsRow {
        precondition(index >= 0 && index < rows)
        cshims_max_u64(header, UInt64(index + 1))
        return SharedMetricsRow(base: base + index * width, counters: counters)
    }

    /// Called by the master when the worker of `index` has exited: its counters move to the retired row.
    public func retire(_ index: Int) {
        let row = base + index * width
        let retired = base + rows * width
        for counter in 0..<counters {
            let value = cshims_load_u64(row + counter)
            // Zeros are left alone: writing them would only dirty pages for nothing.
            guard value > 0 else { continue }
            _ = cshims_add_u64(retired + counter, value)
            cshims_store_u64(row + counter, 0)
        }
        for gauge in 0..<gauges where cshims_load_u64(row + counters + gauge) != 0 {
            cshims_store_u64(row + counters + gauge, 0)
        }
    }

    /// A counter summed over every row, live and retired.
    public func totalCounter(_ counter: Int) -> UInt64 {
        var total: UInt64 = 0
        for index in 0..<rowsInUse { total &+= cshims_load_u64(base + index * width + counter) }
        total &+= cshims_load_u64(base + rows * width + counter)
        return total
    }

    /// A gauge summed over the live rows.
    public func totalGauge(_ gauge: Int) -> UInt64 {
        var total: UInt64 = 0
        for index in 0..<rowsInUse { total &+= cshims_load_u64(base + index * width + counters + gauge) }
        return total
    }
}

/// One process's row.
// @unchecked: a pointer into the shared region, written only through C atomics.
public struct SharedMetricsRow: @unchecked Sendable {
    let base: UnsafeMutablePointer<UInt64>
    let counters: Int

    public func increment(_ counter: Int, by value: UInt64 = 1) {
        _ = cshims_add_u64(base + counter, value)
    }

    public func set(gauge: Int, to value: UInt64) {
        cshims_store_u64(base + counters + gauge, value)
    }

    /// Raises a counter to `value` if it is lower, atomically: for a counter that mirrors a count kept
    /// elsewhere in this process, which several threads may copy at once (a read-then-add would count twice).
    public func raise(_ counter: Int, to value: UInt64) {
        cshims_max_u64(base + counter, value)
    }
}

extension SharedMetricsRow {
    /// This row's current value of a counter.
    public func value(_ counter: Int) -> UInt64 { cshims_load_u64(base + counter) }
}
