/// `customer.updated` and `customer.deleted`: nothing to do yet. They complete, so the events are recorded
/// and a future handler (a CRM sync, say) has a place to go.
public struct IgnoredEventHandler: JobHandler {
    public init() {}
    public func run(_ job: Job, context: JobContext) async throws -> JobOutcome {
        context.logger.debug("no work for this event", metadata: ["kind": "\(job.kind)", "job_id": "\(job.id)"])
        return .completed
    }
}
