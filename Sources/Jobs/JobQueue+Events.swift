import Postgres

extension JobQueue {
    /// Events recorded by a domain module become jobs of their kind (`customer.created`, …), the queue's
    /// `enqueueStatement`. `notifications` decides which of them wake a worker at once (by default at most
    /// one NOTIFY per 5 ms per process: see `NotifyThrottle`); the others wait for a worker's next poll.
    public static func events(notifications: NotifyThrottle = NotifyThrottle(interval: 0.005)) -> SQLEvents {
        SQLEvents { kind, source in enqueueStatement(kind: kind, argsFrom: source, notify: notifications.shouldNotify()) }
    }
}
