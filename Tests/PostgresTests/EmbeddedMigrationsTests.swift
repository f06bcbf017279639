import Foundation
import Postgres
import SQLMigrations
import TestSupport
import Testing

/// The migrations compiled into the binary are sql/migrations byte for byte, so a database migrated from the
/// folder and one migrated by the binary record the same checksums.
@Suite struct EmbeddedMigrationsTests {
    @Test func theBuiltInMigrationsAreTheFolderByteForByte() throws {
        let folder = TestDatabase.migrationsFolder
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(SQLMigrations.files.map(\.name) == names)
        for (name, sql) in SQLMigrations.files {
            let onDisk = try #require(FileManager.default.contents(atPath: folder + "/" + name))
            #expect(Array(sql.utf8) == Array(onDisk), "\(name) differs from the file")
        }
    }

    @Test func bothSourcesRecordTheSameChecksums() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let connection = try database.connect()
        let fromFolder = try Migrator(directory: TestDatabase.migrationsFolder)
        #expect(try fromFolder.migrate(connection).count == fromFolder.migrations.count)
        // The built-in files find every migration applied, with matching checksums (else migrate throws).
        #expect(try Migrator(files: SQLMigrations.files).migrate(connection).isEmpty)
    }

    @Test func aFileNotNamedNNNNNameIsRefused() {
        #expect(throws: Migrator.Failure.self) { try Migrator(files: [("customers.sql", "SELECT 1")]) }
        #expect(throws: Migrator.Failure.self) { try Migrator(files: [("0001_x.txt", "SELECT 1")]) }
    }
}
