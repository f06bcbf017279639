/// How to reach the database. `url` is a libpq URL (`postgresql://…`) or a conninfo string; whatever it
/// says about TLS (`sslmode=verify-full`, `sslrootcert=…`) is libpq's to honour: nothing here overrides it.
public struct ConnectionOptions: Sendable {
    public var url: String
    /// Shown in `pg_stat_activity.application_name`, e.g. `clientele-serve/4242`.
    public var applicationName: String
    /// Seconds; libpq's minimum is 2.
    public var connectTimeout: Int
    /// Named prepared statements, one per distinct SQL text and connection. Off behind a transaction pooler
    /// (PgBouncer before 1.21) that cannot keep them: then every statement is parsed each time.
    public var usePreparedStatements: Bool
    /// Most statements kept prepared per connection; the least recently used one is deallocated past it.
    public var preparedStatementLimit: Int
    /// Seconds any one statement may run (DB_STATEMENT_TIMEOUT), or nil for no limit (migrations, seeding).
    /// Set as the session's `statement_timeout` when the connection opens, so PostgreSQL ends a statement
    /// that passes it (57014), each pipelined statement on its own; `LeasedConnection` also keeps a
    /// deadline of its own (see there).
    public var statementTimeout: Double?

    public init(
        url: String, applicationName: String, connectTimeout: Int = 5, usePreparedStatements: Bool = true,
        preparedStatementLimit: Int = 256, statementTimeout: Double? = nil
    ) {
        self.url = url
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.usePreparedStatements = usePreparedStatements
        self.preparedStatementLimit = preparedStatementLimit
        self.statementTimeout = statementTimeout
    }
}
