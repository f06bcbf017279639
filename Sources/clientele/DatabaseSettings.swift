import Postgres

/// The database settings of the long-running commands (`serve` and `worker`), parsed here once, with one range
/// each.
struct DatabaseSettings: Sendable {
    let url: String
    let preparedStatements: Bool
    /// DB_STATEMENT_TIMEOUT: seconds any one statement may run.
    let statementTimeout: Double
    let pool: PoolConfiguration

    init(_ environment: Environment) {
        url = environment.databaseURL
        preparedStatements = environment.bool(.dbPreparedStatements, default: true)
        statementTimeout = Double(environment.int(.dbStatementTimeout, default: 30, range: 1...86_400))
        var pool = PoolConfiguration()
        pool.pipelines = environment.int(.dbPipelines, default: 2, range: 1...64)
        pool.leasedConnections = environment.int(.dbPoolSize, default: 8, range: 1...1000)
        pool.acquireTimeout = Double(environment.int(.dbAcquireTimeout, default: 2, range: 1...3600))
        self.pool = pool
    }

    /// Options of a connection of this process, named in `pg_stat_activity` by `applicationName`.
    func options(applicationName: String) -> ConnectionOptions {
        ConnectionOptions(
            url: url, applicationName: applicationName, usePreparedStatements: preparedStatements,
            statementTimeout: statementTimeout)
    }
}

/// Settings read by more than one command, each parsed in one place.
extension Environment {
    /// GRACEFUL_TIMEOUT: on TERM, seconds for running requests (serve) or jobs (worker) to finish.
    var gracefulTimeout: Int { int(.gracefulTimeout, default: 30, range: 0...86_400) }

    /// WORKER_HEARTBEAT_FILE: written by `worker`, read by `worker --check`.
    var workerHeartbeatFile: String? { string(.workerHeartbeatFile) }

    /// ADMIN_EMAIL: the first admin (`migrate`), named in `secrets`' message.
    var adminEmail: String? { string(.adminEmail) }
}
