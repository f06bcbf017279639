/// Completes at once: kind `noop`, for benchmarks and smoke tests.
public struct NoopHandler: JobHandler {
    public init() {}
    public func run(_ job: Job, context: JobContext) async throws -> JobOutcome { .completed }
}
