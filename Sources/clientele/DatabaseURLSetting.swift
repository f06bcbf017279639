import Postgres

extension Environment {
    /// DATABASE_URL, which every command needs; see `connectionString(_:)`.
    var databaseURL: String {
        let value = required(.databaseURL)
        checkConnectionString(Setting.databaseURL.rawValue, value)
        return value
    }

    /// A connection string setting (`DATABASE_LISTEN_URL`), or nil when unset. One that libpq cannot parse
    /// stops the process at start with a line naming the variable and libpq's reason (its password replaced by
    /// `***`), instead of a bare parser message later from whichever connection comes first.
    func connectionString(_ setting: Setting) -> String? {
        guard let value = string(setting) else { return nil }
        checkConnectionString(setting.rawValue, value)
        return value
    }

    private func checkConnectionString(_ name: String, _ value: String) {
        if let problem = ConnectionString.problem(in: value) {
            fail("\(name) is not a valid PostgreSQL connection string: \(problem)")
        }
    }
}
