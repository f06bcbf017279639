import Dispatch
import Synchronization

/// Decides whether an enqueue sends its NOTIFY. PostgreSQL serialises the commits of every transaction
/// that notified (a cluster-wide lock held until the commit is flushed), so a NOTIFY per job caps a busy
/// API at one commit per disk flush. Here a process notifies at most once per `interval`: the first job
/// after a quiet spell always notifies (an idle worker starts it at once), and under load a worker is
/// woken at least every `interval` and then claims until the queue is empty. A job enqueued without a
/// notification is never lost: workers also poll every second.
public final class NotifyThrottle: Sendable {
    private let intervalNanoseconds: UInt64
    /// Monotonic time of the last notification; `never` before the first. (Not 0: the clock counts from
    /// boot, so on a machine up for less than `interval` a 0 would look recent and the first job would
    /// wait for the poll.)
    private let lastNotified = Atomic<UInt64>(NotifyThrottle.never)
    private static let never = UInt64.max

    public init(interval: Double) {
        intervalNanoseconds = UInt64(max(0, interval) * 1e9)
    }

    /// True for the caller that should notify now.
    public func shouldNotify() -> Bool {
        guard intervalNanoseconds > 0 else { return true }
        let now = DispatchTime.now().uptimeNanoseconds
        let last = lastNotified.load(ordering: .relaxed)
        guard last == Self.never || now &- last >= intervalNanoseconds else { return false }
        return lastNotified.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
    }
}
