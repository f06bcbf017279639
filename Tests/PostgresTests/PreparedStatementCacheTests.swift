import Foundation
import Postgres
import TestSupport
import Testing

/// Prepared statements are bounded per connection: the least recently used one is deallocated on the
/// server when a new one needs the room (issue 15).
@Suite struct PreparedStatementCacheTests {
    @Test func aLeasedConnectionKeepsAtMostItsLimitAndDeallocatesTheLeastRecentlyUsed() throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let connection = try Connection(
            ConnectionOptions(url: test.url, applicationName: "clientele-lrutest", preparedStatementLimit: 2))
        defer { connection.close() }
        let a: SQL = "SELECT 'a'::text"
        let b: SQL = "SELECT 'b'::text"
        let c: SQL = "SELECT 'c'::text"
        try connection.execute(a)
        try connection.execute(b)
        try connection.execute(a)  // a is now more recent than b
        try connection.execute(c)  // evicts b
        #expect(try prepared(on: connection) == [a.text, c.text])
        // An evicted statement is prepared again when it comes back (evicting a, now the oldest).
        #expect(try connection.execute(b).first!.decode(String.self, at: 0) == "b")
        #expect(try prepared(on: connection) == [b.text, c.text])
    }

    @Test func aPipelinedConnectionKeepsAtMostItsLimitAndDeallocatesTheLeastRecentlyUsed() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        var configuration = PoolConfiguration()
        configuration.pipelines = 1  // so that every statement below runs on the same connection
        let database = Database(
            options: ConnectionOptions(url: test.url, applicationName: "clientele-lrutest", preparedStatementLimit: 2),
            configuration: configuration)
        defer { database.shutdown() }
        for text in ["a", "b", "a", "c"] {
            let sql: SQL = "SELECT \(unsafeRaw: "'\(text)'")::text"
            #expect(try await database.query(sql).first!.decode(String.self, at: 0) == text)
        }
        // This statement is itself new: it evicts a (the least recently used of a and c) before it runs,
        // so the connection holds exactly c and itself.
        let look: SQL = "SELECT statement FROM pg_prepared_statements ORDER BY statement"
        let held = try await database.query(look).rows.map { try $0.decode(String.self, at: 0) }
        #expect(held == [look.text, "SELECT 'c'::text"].sorted())
        // Many distinct statements later, still at most two, and every one answered.
        for index in 0..<20 {
            let sql: SQL = "SELECT \(unsafeRaw: String(index))::int + \(index)"
            #expect(try await database.query(sql).first!.decode(Int.self, at: 0) == 2 * index)
        }
        let count = try await database.query("SELECT count(*)::int FROM pg_prepared_statements").first!.decode(Int.self, at: 0)
        #expect(count == 2)
    }

    /// The texts of the statements prepared on this session, sorted (read without preparing anything).
    func prepared(on connection: Connection) throws -> [String] {
        try connection.execute(simple: "SELECT statement FROM pg_prepared_statements ORDER BY statement")
            .rows.map { try $0.decode(String.self, at: 0) }
    }
}
