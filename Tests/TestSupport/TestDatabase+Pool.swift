import Postgres

extension TestDatabase {
    /// A small pool on this database (one pipeline, two leased connections unless told), as most tests need;
    /// the caller shuts it down.
    public func pool(pipelines: Int = 1, leasedConnections: Int = 2) -> Database {
        var configuration = PoolConfiguration()
        configuration.pipelines = pipelines
        configuration.leasedConnections = leasedConnections
        return Database(options: options(), configuration: configuration)
    }
}
