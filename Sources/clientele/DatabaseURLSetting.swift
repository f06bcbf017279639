import Postgres

extension Environment {
    /// A connection string setting (`DATABASE_URL`) that must be set; see `connectionString(_:)`.
    func requiredConnectionString(_ name: String) -> String {
        let value = required(name)
        checkConnectionString(name, value)
        return value
    }

    /// A connection string setting (`DATABASE_LISTEN_URL`), or nil when unset. One that libpq cannot parse
    /// stops the process at start with a line naming the variable and libpq's reason (its password replaced by
    /// `***`), instead of a bare parser message later from whichever connection comes first.
    func connectionString(_ name: String) -> String? {
        guard let value = string(name) else { return nil }
        checkConnectionString(name, value)
        return value
    }

    private func checkConnectionString(_ name: String, _ value: String) {
        if let problem = ConnectionString.problem(in: value) {
            fail("\(name) is not a valid PostgreSQL connection string: \(problem)")
        }
    }
}
