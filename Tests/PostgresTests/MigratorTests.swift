import Foundation
import Postgres
import TestSupport
import Testing

@Suite struct MigratorTests {
    static var migrationsFolder: String { TestDatabase.migrationsFolder }

    @Test func migratingTwiceAppliesEachFileOnce() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let migrator = try Migrator(directory: Self.migrationsFolder)
        let connection = try database.connect()
        let first = try migrator.migrate(connection)
        #expect(first.count == migrator.migrations.count)
        #expect(try migrator.migrate(connection).isEmpty)
        let recorded = try connection.execute("SELECT count(*)::int FROM schema_migrations").first!.decode(Int.self, at: 0)
        #expect(recorded == migrator.migrations.count)
    }

    @Test func concurrentMigrationsApplyEachFileOnce() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let folder = Self.migrationsFolder
        let options = database.options()
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await withCheckedThrowingContinuation { continuation in
                        Thread.detachNewThread {
                            continuation.resume(with: Result {
                                let connection = try Connection(options)
                                defer { connection.close() }
                                return try Migrator(directory: folder).migrate(connection)
                            })
                        }
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let migrator = try Migrator(directory: folder)
        #expect(applied.sorted() == migrator.migrations.map(\.name).sorted())
    }

    @Test func aChangedFileIsRefused() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "CREATE TABLE a (id int);".write(toFile: folder + "/0001_a.sql", atomically: true, encoding: .utf8)
        let connection = try database.connect()
        try Migrator(directory: folder).migrate(connection)
        try "CREATE TABLE a (id bigint);".write(toFile: folder + "/0001_a.sql", atomically: true, encoding: .utf8)
        #expect(throws: Migrator.Failure.self) { try Migrator(directory: folder).migrate(connection) }
    }

    @Test func aFailingMigrationLeavesNothingBehind() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "CREATE TABLE b (id int); SELECT no_such_function();".write(
            toFile: folder + "/0001_b.sql", atomically: true, encoding: .utf8)
        let connection = try database.connect()
        #expect(throws: PostgresError.self) { try Migrator(directory: folder).migrate(connection) }
        let tables = try connection.execute("SELECT count(*)::int FROM pg_tables WHERE tablename = 'b'").first!
        #expect(try tables.decode(Int.self, at: 0) == 0)
    }

    @Test func customerCounterFollowsInsertsDeletesAndSoftDeletes() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let connection = try database.connect()
        try Migrator(directory: Self.migrationsFolder).migrate(connection)
        try connection.execute(
            simple: """
                INSERT INTO customer (id, email, has_account) SELECT 'c' || i, 'e' || i || '@x.io', i % 2 = 0
                FROM generate_series(1, 10) AS i;
                UPDATE customer SET deleted_at = now() WHERE id IN ('c1', 'c2');
                UPDATE customer SET has_account = true WHERE id = 'c3';
                DELETE FROM customer WHERE id = 'c4';
                """)
        let counted = try connection.execute(
            "SELECT has_account, sum(live)::int FROM customer_counter GROUP BY 1 ORDER BY 1"
        ).rows.map { (try $0.decode(Bool.self, at: 0), try $0.decode(Int.self, at: 1)) }
        let actual = try connection.execute(
            "SELECT has_account, count(*)::int FROM customer WHERE deleted_at IS NULL GROUP BY 1 ORDER BY 1"
        ).rows.map { (try $0.decode(Bool.self, at: 0), try $0.decode(Int.self, at: 1)) }
        #expect(counted.map(\.0) == actual.map(\.0))
        #expect(counted.map(\.1) == actual.map(\.1))
        #expect(actual.map(\.1) == [3, 4])
        // TRUNCATE (copy-customers.sh --truncate) zeroes the counter, which then counts on.
        try connection.execute(
            simple: """
                TRUNCATE customer CASCADE;
                INSERT INTO customer (id, email, has_account) VALUES ('n1', 'n1@x.io', true), ('n2', 'n2@x.io', true);
                """)
        let afterTruncate = try connection.execute("SELECT sum(live)::int FROM customer_counter").first!
        #expect(try afterTruncate.decode(Int.self, at: 0) == 2)
    }
}
