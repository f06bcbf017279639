/// Where a job is in its life. The `job.state` column holds the raw value.
///
///     scheduled ─(due)─┐
///     available ───────┴─(claimed)→ running ─→ completed
///                                      │  ├──→ retryable ─(backoff due)→ running …
///                                      │  └──→ discarded (last attempt failed, or a permanent error)
///                                      └─(lease expired: rescuer)→ retryable / discarded
///                                      └─(worker stopping: handed back)→ available
public enum JobState: String, Sendable, CaseIterable {
    case available, scheduled, running, retryable, completed, discarded, cancelled

    /// States a worker may claim from (once `scheduled_at` has passed).
    public static let claimable: [JobState] = [.available, .retryable, .scheduled]
    /// States a job never leaves; the pruner deletes them after a while.
    public static let finalized: [JobState] = [.completed, .discarded, .cancelled]
}
