import Foundation
import Postgres
import TestSupport
import Testing

@Suite struct CopyOutStreamTests {
    func makeDatabase(_ test: TestDatabase, leased: Int = 1, statementTimeout: Double? = nil) -> Database {
        var options = test.options("clientele-copytest")
        options.statementTimeout = statementTimeout
        var configuration = PoolConfiguration()
        configuration.pipelines = 1
        configuration.leasedConnections = leased
        configuration.acquireTimeout = 5
        return Database(options: options, configuration: configuration)
    }

    /// What psql's `\copy (query) TO STDOUT CSV` prints for `query` (`\copy` reads one line: the query's line
    /// breaks become spaces).
    func psqlCopy(_ test: TestDatabase, _ query: String) throws -> [UInt8] {
        let line = query.split(separator: "\n").joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", test.url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", "\\copy (\(line)) TO STDOUT CSV"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return Array(bytes)
    }

    func collect(_ stream: CopyOutStream) async throws -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        while let chunk = try await stream.next() { chunks.append(chunk) }
        return chunks
    }

    /// Values CSV must quote (quotes, commas, line breaks), NULL and empty strings, over many chunks. Every
    /// result here is small (about 40 KB) or slow: a backend blocked writing to a full socket cannot take part
    /// in another test's DROP DATABASE (since PostgreSQL 15 it waits for every backend of the cluster), and
    /// those drops block the very test threads that would read on.
    static let rows = 1500
    static let tricky = """
        SELECT i, CASE WHEN i % 7 = 0 THEN NULL WHEN i % 5 = 0 THEN '' ELSE 'a "quoted", line' || chr(10) || 'two ' || i END AS t
        FROM generate_series(1, \(rows)) AS i
        """

    @Test func theChunksConcatenateToWhatPsqlsCopyGivesWithTheParametersBound() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test)
        defer { database.shutdown() }
        let hostile = "x'); DROP TABLE nothing; --"
        let query: SQL = """
            SELECT * FROM (\(unsafeRaw: Self.tricky)) AS rows
            WHERE i > \(10)::int AND (\(nil as String?)::text IS NULL) AND t IS DISTINCT FROM \(hostile)::text
            ORDER BY i
            """
        let stream = try await CopyOutStream.open(csvOf: query, on: database, chunkSize: 4096)
        let chunks = try await collect(stream)
        await stream.close()
        let expected = try psqlCopy(test, "SELECT * FROM (\(Self.tricky)) AS rows WHERE i > 10 ORDER BY i")
        #expect(chunks.count > 5)
        #expect(Array(chunks.joined()) == expected)
        #expect(expected.count > 30_000)
        // Every chunk is whole rows: it ends where a row ends.
        #expect(chunks.allSatisfy { $0.last == 0x0A })
    }

    @Test func eachRowEndsWithTheRowEndingAskedFor() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test)
        defer { database.shutdown() }
        let stream = try await CopyOutStream.open(csvOf: SQL(stringLiteral: Self.tricky), on: database, rowEnding: [0x0D, 0x0A])
        let bytes = Array(try await collect(stream).joined())
        await stream.close()
        // Every row ends with CRLF; the line break inside each quoted text cell stays LF.
        let crlf = zip(bytes, bytes.dropFirst()).filter { $0 == (0x0D, 0x0A) }.count
        let texts = (1...Self.rows).filter { $0 % 7 != 0 && $0 % 5 != 0 }.count
        #expect(crlf == Self.rows)
        #expect(bytes.filter { $0 == 0x0A }.count == Self.rows + texts)
        #expect(bytes.suffix(2) == [0x0D, 0x0A])
    }

    @Test func anErrorInTheMiddleOfTheCopyIsThrownAndTheConnectionComesBack() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, leased: 1)
        defer { database.shutdown() }
        let stream = try await CopyOutStream.open(
            csvOf: "SELECT i, 1 / (i - \(3000)::int) FROM generate_series(1, 5000) AS i", on: database, chunkSize: 1024)
        var bytes = 0
        do {
            while let chunk = try await stream.next() { bytes += chunk.count }
            Issue.record("the copy ended without its error")
        } catch let error as PostgresError {
            #expect(error.sqlState == "22012")
        }
        await stream.close()
        #expect(bytes > 10_000, "rows came before the error")
        // The pool's one connection is free again and works.
        #expect(try await database.withConnection { try await $0.query("SELECT 42").first!.decode(Int.self, at: 0) } == 42)
    }

    @Test func aQueryFailingBeforeItsFirstRowFailsAtOpen() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, leased: 1)
        defer { database.shutdown() }
        await #expect(throws: PostgresError.self) {
            _ = try await CopyOutStream.open(csvOf: "SELECT no_such_column FROM generate_series(1, 3)", on: database)
        }
        #expect(try await database.withConnection { try await $0.query("SELECT 1").rowCount } == 1)
    }

    @Test func aConsumerThatStopsEarlyCancelsTheCopyAndLeavesThePoolUsable() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, leased: 1)
        defer { database.shutdown() }
        // Over 15 minutes if it ran to its end; slow rather than large (see `tricky`).
        let stream = try await CopyOutStream.open(
            csvOf: "SELECT i, repeat('x', 1000), pg_sleep(0.01) FROM generate_series(1, 100000) AS i", on: database)
        let copyPID = try await activeCopies(test)
        #expect(copyPID.count == 1)
        _ = try await stream.next()
        let started = Date()
        await stream.close()
        #expect(Date().timeIntervalSince(started) < 30, "the copy was cancelled, not read to its end")
        // The next statement on the pool's one connection works, and the server runs no copy any more.
        #expect(try await database.withConnection { try await $0.query("SELECT 42").first!.decode(Int.self, at: 0) } == 42)
        #expect(try await activeCopies(test).isEmpty)
    }

    @Test func theServerSilentPastTheStatementTimeoutIsAStatementTimeout() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, leased: 1, statementTimeout: 1)
        defer { database.shutdown() }
        // Longer than the timeout in all, but never silent for a second: it runs to its end. (The server sends
        // its rows in pieces of about 8 KB, so each row here is larger than that.)
        let steady = try await CopyOutStream.open(
            csvOf: "SELECT i, repeat('x', 9000), pg_sleep(0.1) FROM generate_series(1, 15) AS i", on: database,
            chunkSize: 1)
        #expect(try await collect(steady).count == 15)
        await steady.close()
        // Silent for 3 s before its first row: cancelled after 1 s.
        let started = Date()
        do {
            _ = try await CopyOutStream.open(csvOf: "SELECT pg_sleep(3)", on: database)
            Issue.record("the copy was not stopped")
        } catch let error as PostgresError {
            #expect(error.isStatementTimeout)
        }
        #expect(Date().timeIntervalSince(started) < 2.9)
        #expect(try await database.withConnection { try await $0.query("SELECT 1").rowCount } == 1)
    }

    @Test func theCopyRunsReadOnlyWithItsSettings() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test)
        defer { database.shutdown() }
        let stream = try await CopyOutStream.open(
            csvOf: "SELECT current_setting('application_name'), current_setting('transaction_read_only')",
            on: database, settings: [("application_name", "clientele-export/1")])
        #expect(String(decoding: Array(try await collect(stream).joined()), as: UTF8.self) == "clientele-export/1,on\n")
        await stream.close()
    }

    /// Backends of this database running a COPY now.
    func activeCopies(_ test: TestDatabase) async throws -> [Int] {
        let observer = try test.connect("clientele-copytest-observer")
        defer { observer.close() }
        let rows = try observer.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'COPY%'")
        return try rows.rows.map { try $0.decode(Int.self, at: 0) }
    }
}
