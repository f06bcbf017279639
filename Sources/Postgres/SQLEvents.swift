/// How a domain module records an event in the very statement that makes the change, so that both commit
/// together, without knowing who reads events: the reader (the job queue, `JobQueue.events`) supplies the
/// fragment, the domain (`Customers`) places it. The domain thus depends on `Postgres` alone.
public struct SQLEvents: Sendable {
    private let fragment: @Sendable (_ kind: String, _ argsFrom: SQL) -> SQL

    public init(_ fragment: @escaping @Sendable (_ kind: String, _ argsFrom: SQL) -> SQL) {
        self.fragment = fragment
    }

    /// A data-modifying statement recording one event of `kind` per row of `source` (a query with a jsonb
    /// column `args`): run it alone, or make it a CTE of the change and reference that CTE in the outer
    /// query (`(SELECT count(*) FROM event)`), as PostgreSQL runs a data-modifying CTE only once.
    public func record(_ kind: String, argsFrom source: SQL) -> SQL { fragment(kind, source) }
}
