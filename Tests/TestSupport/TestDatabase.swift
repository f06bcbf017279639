import Foundation
import Postgres

/// A fresh database on the private cluster for one test, dropped by `drop()`. Shared by the Swift test
/// targets (the cluster is the one `make test` starts; its URL comes in CLIENTELE_TEST_DATABASE_URL).
public struct TestDatabase: Sendable {
    public let name: String
    public let url: String

    public static var adminURL: String {
        guard let url = ProcessInfo.processInfo.environment["CLIENTELE_TEST_DATABASE_URL"] else {
            fatalError("CLIENTELE_TEST_DATABASE_URL is not set: run the tests with `make test`")
        }
        return url
    }

    /// sql/migrations of this checkout.
    public static let migrationsFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("sql/migrations").path

    /// A new empty database named `<prefix>_<random>_<pid>`; `migrated` applies sql/migrations to it.
    public static func create(prefix: String = "pgtest", migrated: Bool = false) throws -> TestDatabase {
        let name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))_\(getpid())"
        let admin = try Connection(ConnectionOptions(url: adminURL, applicationName: "clientele-test-admin"))
        defer { admin.close() }
        try admin.execute(simple: "CREATE DATABASE \(name)")
        let base = adminURL[..<adminURL.lastIndex(of: "/")!]
        let database = TestDatabase(name: name, url: "\(base)/\(name)")
        if migrated {
            let connection = try database.connect("clientele-test-migrate")
            defer { connection.close() }
            try Migrator(directory: migrationsFolder).migrate(connection)
        }
        return database
    }

    public func options(_ application: String = "clientele-test") -> ConnectionOptions {
        ConnectionOptions(url: url, applicationName: application, connectTimeout: 2)
    }

    public func connect(_ application: String = "clientele-test") throws -> Connection {
        try Connection(options(application))
    }

    public func drop() {
        guard let admin = try? Connection(ConnectionOptions(url: Self.adminURL, applicationName: "clientele-test-admin"))
        else { return }
        _ = try? admin.execute(simple: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        admin.close()
    }
}
