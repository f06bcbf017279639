/// Statements about the database itself rather than any table, for the service and debug routes (which
/// run no SQL of their own).
extension Database {
    /// The two paths a statement can take, for a probe that must exercise one of them.
    public enum Path: String, Sendable, CaseIterable {
        case pipelined
        case leased
    }

    /// `SELECT pg_sleep(seconds)` on the path asked for: a statement that outlasts any deadline, so that
    /// tests can watch a statement timeout, or the cancellation of a request whose client left, end it
    /// on the server (DEBUG_ROUTES only).
    public func sleepOnServer(seconds: Double, path: Path) async throws {
        let statement: SQL = "SELECT pg_sleep(\(seconds)::float8)"
        switch path {
        case .pipelined: try await query(statement)
        case .leased: _ = try await withConnection { connection in try await connection.query(statement) }
        }
    }
}
