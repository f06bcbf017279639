import Postgres
import TestSupport
import Testing

@Suite struct RowCursorTests {
    func makeDatabase(_ test: TestDatabase, leased: Int = 1) -> Database {
        var configuration = PoolConfiguration()
        configuration.pipelines = 1
        configuration.leasedConnections = leased
        configuration.acquireTimeout = 2
        return Database(options: test.options("clientele-cursortest"), configuration: configuration)
    }

    @Test func everyRowComesOnceInBatchesWithItsParametersBound() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test)
        defer { database.shutdown() }
        let cursor = try await RowCursor.open(
            "SELECT i, \("it's")::text || i FROM generate_series(1, \(2_500)::int) AS i ORDER BY i", on: database,
            batchSize: 1000)
        var seen: [Int] = []
        var batches: [Int] = []
        while let batch = try await cursor.next() {
            batches.append(batch.rowCount)
            for row in batch.rows {
                seen.append(try row.decode(Int.self, at: 0))
                #expect(try row.decode(String.self, at: 1) == "it's\(seen.last!)")
            }
        }
        await cursor.close()
        #expect(seen == Array(1...2_500))
        #expect(batches == [1000, 1000, 500])
    }

    @Test func aFailingQueryFailsAtOpenAndGivesItsConnectionBack() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, leased: 1)
        defer { database.shutdown() }
        await #expect(throws: PostgresError.self) {
            _ = try await RowCursor.open("SELECT 1 / (i - 3) FROM generate_series(1, 5) AS i", on: database, batchSize: 10)
        }
        // The pool's one connection is free again (an acquire would time out otherwise).
        let value = try await database.withConnection { try await $0.query("SELECT 42").first!.decode(Int.self, at: 0) }
        #expect(value == 42)
    }

    @Test func aCursorClosedEarlyOrDroppedGivesItsConnectionBack() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, leased: 1)
        defer { database.shutdown() }
        let early = try await RowCursor.open("SELECT generate_series(1, 100000)", on: database, batchSize: 100)
        _ = try await early.next()
        await early.close()
        #expect(try await database.withConnection { try await $0.query("SELECT 1").rowCount } == 1)
        do {
            let dropped = try await RowCursor.open("SELECT generate_series(1, 100000)", on: database, batchSize: 100)
            _ = try await dropped.next()
        }
        // Dropped without close(): the connection comes back (closed and replaced) within the acquire timeout.
        #expect(try await database.withConnection { try await $0.query("SELECT 1").rowCount } == 1)
    }

    @Test func theCursorRunsReadOnlyWithItsSettings() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test)
        defer { database.shutdown() }
        let cursor = try await RowCursor.open(
            "SELECT current_setting('application_name'), current_setting('transaction_read_only')", on: database,
            settings: [("application_name", "clientele-export/1")])
        let row = try #require(try await cursor.next()).first!
        #expect(try row.decode(String.self, at: 0) == "clientele-export/1")
        #expect(try row.decode(String.self, at: 1) == "on")
        await cursor.close()
    }
}
