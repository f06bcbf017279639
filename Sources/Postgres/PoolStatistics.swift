import Synchronization

/// Live counters of one process's pool, for /metrics and /ready.
public final class PoolStatistics: Sendable {
    private let leasedInUse = Atomic<Int>(0)
    private let leasedIdle = Atomic<Int>(0)
    private let leaseWaiting = Atomic<Int>(0)
    private let pipelined = Atomic<Int>(0)
    private let timeouts = Atomic<Int>(0)

    public struct Snapshot: Sendable, Equatable {
        /// Leased connections held by a caller.
        public var inUse: Int
        /// Leased connections open and free.
        public var idle: Int
        /// Callers waiting for a lease, plus statements queued for a pipeline.
        public var waiting: Int
        /// Statements sent to a pipeline and not yet answered.
        public var pipelinedInFlight: Int
        /// Callers that gave up after the acquire timeout (or found the queue full).
        public var timeouts: Int
    }

    func recordTimeout() { timeouts.add(1, ordering: .relaxed) }
    func pipelinedInFlight(_ delta: Int) { pipelined.add(delta, ordering: .relaxed) }
    func leased(inUse: Int, idle: Int) {
        leasedInUse.store(inUse, ordering: .relaxed)
        leasedIdle.store(idle, ordering: .relaxed)
    }
    func waiting(_ delta: Int) { leaseWaiting.add(delta, ordering: .relaxed) }

    func snapshot(queued: Int) -> Snapshot {
        Snapshot(
            inUse: leasedInUse.load(ordering: .relaxed),
            idle: leasedIdle.load(ordering: .relaxed),
            waiting: leaseWaiting.load(ordering: .relaxed) + queued,
            pipelinedInFlight: pipelined.load(ordering: .relaxed),
            timeouts: timeouts.load(ordering: .relaxed))
    }
}
