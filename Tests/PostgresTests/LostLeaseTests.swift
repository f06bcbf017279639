import Foundation
import Postgres
import TestSupport
import Testing

/// A backend killed in the middle of a lease, for each holder of a leased connection (`withConnection`,
/// `RowCursor`, `CopyOutStream`): the next call fails with a connection error, and the connection is not
/// handed on (the pool keeps no idle connection, and the next lease gets a new backend).
@Suite struct LostLeaseTests {
    static let application = "clientele-losttest"

    func makeDatabase(_ test: TestDatabase) -> Database {
        var configuration = PoolConfiguration()
        configuration.pipelines = 1
        configuration.leasedConnections = 1
        configuration.acquireTimeout = 10
        return Database(options: test.options(Self.application), configuration: configuration)
    }

    /// Terminates `pid` and waits (up to 10 s) until the backend has exited.
    func terminate(_ pid: Int, in test: TestDatabase) throws {
        let admin = try test.connect("clientele-test-admin")
        defer { admin.close() }
        let done = try admin.execute("SELECT pg_terminate_backend(\(pid), \(10_000))").first!.decode(Bool.self, at: 0)
        #expect(done)
    }

    /// The pid of the pool's backend whose last statement contains `fragment`.
    func backend(running fragment: String, in test: TestDatabase) throws -> Int {
        let admin = try test.connect("clientele-test-admin")
        defer { admin.close() }
        let rows = try admin.execute(
            """
            SELECT pid FROM pg_stat_activity
            WHERE application_name = \(Self.application) AND datname = current_database()
              AND query LIKE '%' || \(fragment) || '%'
            """)
        #expect(rows.rowCount == 1)
        return try rows.first!.decode(Int.self, at: 0)
    }

    /// After the lease ended: nothing is held or idle (the lost connection was closed, not kept), and the next
    /// lease runs on a backend other than `killed`.
    func expectNotHandedOn(_ killed: Int, by database: Database) async throws {
        #expect(database.poolStatistics.inUse == 0)
        #expect(database.poolStatistics.idle == 0)
        let next = try await database.withConnection { connection in
            try await connection.query("SELECT pg_backend_pid()").first!.decode(Int.self, at: 0)
        }
        #expect(next != killed)
    }

    /// `body` with a new database and a pool of one leased connection on it, both dropped afterwards.
    func withPool(_ body: (TestDatabase, Database) async throws -> Void) async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test)
        defer { database.shutdown() }
        try await body(test, database)
    }

    /// Calls `next` until it throws (at most `calls` times, or until it returns false): the error thrown.
    func firstError(within calls: Int, _ next: () async throws -> Bool) async -> PostgresError? {
        for _ in 0..<calls {
            do {
                guard try await next() else { return nil }
            } catch {
                return error as? PostgresError
            }
        }
        return nil
    }

    @Test func aLeasedConnectionFailsEveryStatementAfterItsBackendDied() async throws {
        try await withPool { test, database in
            let killed = try await database.withConnection { connection in
                #expect(try await connection.query("SELECT 1").rowCount == 1)
                try terminate(connection.backendPID, in: test)
                let first = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 2") }
                #expect(first?.isConnectionLost == true)
                // The lease is marked lost: the statements after it fail at once, without reaching libpq.
                let later = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 3") }
                #expect(later?.kind == .connection)
                #expect(later?.message.contains("lost earlier in this lease") == true)
                return connection.backendPID
            }
            try await expectNotHandedOn(killed, by: database)
        }
    }

    /// Kills the backend of the stream whose statement contains `fragment`, then reads on with `next` (at
    /// most `reads` times: what was sent before the kill may still come) until it throws a connection error,
    /// closes the stream with `close`, and checks that its connection was not handed on.
    func expectStreamFailsAfterItsBackendDied(
        running fragment: String, in test: TestDatabase, database: Database, reads: Int,
        next: () async throws -> Bool, close: () async -> Void
    ) async throws {
        let killed = try backend(running: fragment, in: test)
        try terminate(killed, in: test)
        let error = await firstError(within: reads, next)
        #expect(error?.isConnectionLost == true)
        await close()
        try await expectNotHandedOn(killed, by: database)
    }

    @Test func aRowCursorWhoseBackendDiedFailsAndGivesNoReusableConnectionBack() async throws {
        try await withPool { test, database in
            let cursor = try await RowCursor.open(
                "SELECT i FROM generate_series(1, 100000) AS i", on: database, batchSize: 10)
            #expect(try await cursor.next()?.rowCount == 10)
            // The batch fetched ahead before the kill may still come; the fetch after it cannot.
            try await expectStreamFailsAfterItsBackendDied(
                running: "clientele_rows", in: test, database: database, reads: 3,
                next: { try await cursor.next() != nil }, close: { await cursor.close() })
        }
    }

    @Test func aCopyOutStreamWhoseBackendDiedFailsAndGivesNoReusableConnectionBack() async throws {
        try await withPool { test, database in
            // Slow rather than large (see CopyOutStreamTests.tricky): the copy is still running at the kill.
            let stream = try await CopyOutStream.open(
                csvOf: "SELECT i, repeat('x', 1000), pg_sleep(0.01) FROM generate_series(1, 100000) AS i",
                on: database, chunkSize: 4096)
            #expect(try await stream.next() != nil)
            // The rows the server had sent before it died may still be read (a few); then the read fails.
            try await expectStreamFailsAfterItsBackendDied(
                running: "COPY (", in: test, database: database, reads: 1000,
                next: { try await stream.next() != nil }, close: { await stream.close() })
        }
    }
}
