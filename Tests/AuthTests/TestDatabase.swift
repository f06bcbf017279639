import Foundation
import Postgres

/// A fresh database on the private cluster for one test, dropped by `drop()` (a copy of
/// Tests/PostgresTests/TestDatabase.swift: test targets cannot share files).
struct TestDatabase {
    let name: String
    let url: String

    static var adminURL: String {
        guard let url = ProcessInfo.processInfo.environment["CLIENTELE_TEST_DATABASE_URL"] else {
            fatalError("CLIENTELE_TEST_DATABASE_URL is not set: run the tests with `make test`")
        }
        return url
    }

    static func create() throws -> TestDatabase {
        let name = "authtest_\(UInt32.random(in: 0...UInt32.max))_\(getpid())"
        let admin = try Connection(ConnectionOptions(url: adminURL, applicationName: "clientele-test-admin"))
        defer { admin.close() }
        try admin.execute(simple: "CREATE DATABASE \(name)")
        let base = adminURL[..<adminURL.lastIndex(of: "/")!]
        return TestDatabase(name: name, url: "\(base)/\(name)")
    }

    func options(_ application: String = "clientele-test") -> ConnectionOptions {
        ConnectionOptions(url: url, applicationName: application, connectTimeout: 2)
    }

    func connect(_ application: String = "clientele-test") throws -> Connection {
        try Connection(options(application))
    }

    func drop() {
        guard let admin = try? Connection(ConnectionOptions(url: Self.adminURL, applicationName: "clientele-test-admin"))
        else { return }
        _ = try? admin.execute(simple: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        admin.close()
    }
}
