import Foundation
import Postgres

/// A fresh, migrated database on the private cluster for one test, with a pool on it; `drop()` removes it.
struct JobsTestDatabase {
    let name: String
    let url: String
    let database: Database

    static var adminURL: String {
        guard let url = ProcessInfo.processInfo.environment["CLIENTELE_TEST_DATABASE_URL"] else {
            fatalError("CLIENTELE_TEST_DATABASE_URL is not set: run the tests with `make test`")
        }
        return url
    }

    static let migrations = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("sql/migrations").path

    static func create() throws -> JobsTestDatabase {
        let name = "jobstest_\(UInt32.random(in: 0...UInt32.max))_\(getpid())"
        let admin = try Connection(ConnectionOptions(url: adminURL, applicationName: "clientele-test-admin"))
        defer { admin.close() }
        try admin.execute(simple: "CREATE DATABASE \(name)")
        let url = "\(adminURL[..<adminURL.lastIndex(of: "/")!])/\(name)"
        let connection = try Connection(ConnectionOptions(url: url, applicationName: "clientele-test-migrate"))
        defer { connection.close() }
        try Migrator(directory: migrations).migrate(connection)
        return JobsTestDatabase(name: name, url: url, database: makeDatabase(url))
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
        guard let admin = try? Connection(ConnectionOptions(url: Self.adminURL, applicationName: "clientele-test-admin"))
        else { return }
        _ = try? admin.execute(simple: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        admin.close()
    }

    func count(_ condition: SQL) async throws -> Int {
        try await database.query("SELECT count(*) FROM job WHERE " + condition).first!.decode(Int.self, at: 0)
    }
}
