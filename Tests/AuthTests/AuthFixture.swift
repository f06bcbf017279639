import Foundation
import Passwords
import Postgres
import TestSupport

@testable import Auth

/// A migrated database of its own, a pool on it, and the services under test. A cheap scrypt keeps the
/// tests fast; throttling limits are small so tests reach them.
struct AuthFixture {
    static let secret = "test-secret-that-is-long-enough-0123456789"
    static let hasher = PasswordHasher(scheme: .scrypt(logN: 10, r: 8, p: 1))

    let testDatabase: TestDatabase
    let database: Database
    let users: UserRepository
    let auth: AuthService

    /// Runs `body` against a fresh fixture and drops it afterwards, whatever happened.
    static func with(
        maxFailures: Int = 3, maxFailuresPerAddress: Int = 5,
        _ body: (AuthFixture) async throws -> Void
    ) async throws {
        let testDatabase = try TestDatabase.create(prefix: "authtest", migrated: true)
        defer { testDatabase.drop() }
        let database = testDatabase.pool()
        defer { database.shutdown() }
        let configuration = try AuthConfiguration(
            jwtSecret: secret, loginMaxFailures: maxFailures, loginMaxFailuresPerAddress: maxFailuresPerAddress,
            passwordHasher: hasher)
        let fixture = AuthFixture(
            testDatabase: testDatabase, database: database, users: UserRepository(database: database, passwordHasher: hasher),
            auth: AuthService(database: database, configuration: configuration))
        try await body(fixture)
    }

    /// Runs one statement on a connection of its own (for setting up states the API cannot reach).
    func sql(_ statement: SQL) throws -> QueryResult {
        let connection = try testDatabase.connect()
        defer { connection.close() }
        return try connection.execute(statement)
    }

    func count(_ statement: SQL) throws -> Int {
        try sql(statement).first!.decode(Int.self, at: 0)
    }
}
