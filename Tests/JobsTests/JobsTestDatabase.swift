import Foundation
import Postgres
import TestSupport

/// A fresh, migrated database on the private cluster for one test, with a pool on it; `drop()` removes it.
struct JobsTestDatabase {
    let test: TestDatabase
    let database: Database
    var name: String { test.name }
    var url: String { test.url }

    static func create() throws -> JobsTestDatabase {
        let test = try TestDatabase.create(prefix: "jobstest", migrated: true)
        return JobsTestDatabase(test: test, database: makeDatabase(test.url))
    }

    /// Another pool on the same database, as another worker process would have.
    func anotherPool() -> Database { Self.makeDatabase(url) }

    var options: ConnectionOptions { ConnectionOptions(url: url, applicationName: "clientele-jobs-test") }

    private static func makeDatabase(_ url: String) -> Database {
        var configuration = PoolConfiguration()
        configuration.leasedConnections = 4
        return Database(options: ConnectionOptions(url: url, applicationName: "clientele-jobs-test"), configuration: configuration)
    }

    func drop() {
        database.shutdown()
        test.drop()
    }

    func count(_ condition: SQL) async throws -> Int {
        try await database.query("SELECT count(*) FROM job WHERE " + condition).first!.decode(Int.self, at: 0)
    }
}
