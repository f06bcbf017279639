import Foundation
import Postgres
import TestSupport
import Testing

/// Every statement has a deadline, and a caller that gives up takes its statement (or its place in the
/// queue) with it (issue 15).
@Suite struct DeadlineTests {
    static let application = "clientele-deadlinetest"

    func makeDatabase(
        _ test: TestDatabase, pipelines: Int = 1, leased: Int = 2, acquireTimeout: Double = 2,
        statementTimeout: Double? = nil
    ) -> Database {
        var configuration = PoolConfiguration()
        configuration.pipelines = pipelines
        configuration.leasedConnections = leased
        configuration.acquireTimeout = acquireTimeout
        let options = ConnectionOptions(
            url: test.url, applicationName: Self.application, connectTimeout: 2, statementTimeout: statementTimeout)
        return Database(options: options, configuration: configuration)
    }

    /// How many of the pool's backends are running a statement that contains `fragment` now.
    func running(_ fragment: String, in test: TestDatabase) throws -> Int {
        let admin = try test.connect("clientele-test-admin")
        defer { admin.close() }
        return try admin.execute(
            """
            SELECT count(*)::int FROM pg_stat_activity
            WHERE application_name = \(Self.application) AND datname = current_database() AND state = 'active'
              AND query LIKE '%' || \(fragment) || '%'
            """
        ).first!.decode(Int.self, at: 0)
    }

    /// Polls `condition` every 50 ms for at most `seconds` (generous: `make test` runs every suite at once).
    func eventually(_ seconds: Double = 60, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try condition()
    }

    @Test func aWaiterCancelledInTheAcquireQueueLeavesItAtOnce() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        // A long acquire timeout: the waiter must leave because it was cancelled, not because time ran out.
        let database = makeDatabase(test, leased: 1, acquireTimeout: 60)
        defer { database.shutdown() }
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await database.withConnection { _ in
                for await _ in release { break }
            }
        }
        #expect(try await eventually { database.poolStatistics.inUse == 1 })
        let waiter = Task { try await database.withConnection { connection in try await connection.query("SELECT 1") } }
        #expect(try await eventually { database.poolStatistics.waiting == 1 })

        waiter.cancel()
        let outcome = await waiter.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        // It left the queue while the connection is still held: nobody is waiting any more.
        #expect(database.poolStatistics.waiting == 0)
        #expect(database.poolStatistics.inUse == 1)
        #expect(database.poolStatistics.timeouts == 0)

        releaseSignal.finish()
        try await holder.value
        // The connection goes to the next caller, not to the waiter that left.
        let one = try await database.withConnection { connection in try await connection.query("SELECT 1::int") }
        #expect(try one.first!.decode(Int.self, at: 0) == 1)
    }

    @Test func aCancelledCallerCancelsItsLeasedStatementOnTheServer() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, leased: 1)
        defer { database.shutdown() }
        let sleeper = Task {
            try await database.withConnection { connection in try await connection.query("SELECT pg_sleep(60)") }
        }
        #expect(try await eventually { try running("pg_sleep", in: test) == 1 })
        sleeper.cancel()
        let outcome = await sleeper.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        // The cancel request stopped it on the server, long before its 60 s.
        #expect(try await eventually { try running("pg_sleep", in: test) == 0 })
        // The one connection was closed rather than handed on (a late cancel request cannot reach the next
        // holder's statement), and the pool opens a new one.
        let row = try await database.withConnection { connection in try await connection.query("SELECT 2::int") }
        #expect(try row.first!.decode(Int.self, at: 0) == 2)
    }

    @Test func aLeasedStatementPastItsDeadlineIsCancelledAndReportedAsATimeout() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, leased: 1, statementTimeout: 30)
        defer { database.shutdown() }
        let firstBackend = try await database.withConnection { $0.backendPID }
        let error = await #expect(throws: PostgresError.self) {
            try await database.withConnection { connection in
                try await connection.query("SELECT pg_sleep(60)", timeout: 0.5)
            }
        }
        #expect(error?.isStatementTimeout == true)
        #expect(error?.isUnavailable == true)
        #expect(try await eventually { try running("pg_sleep", in: test) == 0 })
        let nextBackend = try await database.withConnection { $0.backendPID }
        #expect(nextBackend != firstBackend)
    }

    @Test func aPipelinedStatementEndsAtTheStatementTimeoutAndItsNeighboursDoNot() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, pipelines: 1, statementTimeout: 1)
        defer { database.shutdown() }
        // One slow statement among quick ones on the one pipelined connection: each statement has its own
        // timeout, so only the slow one fails.
        let results = await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
            for index in 0..<20 {
                group.addTask {
                    let sql: SQL = "SELECT \(index)::int FROM pg_sleep(\(index == 7 ? 60.0 : 0)::float8)"
                    do { return (index, .success(try await database.query(sql).first!.decode(Int.self, at: 0))) }
                    catch { return (index, .failure(error)) }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for (index, result) in results {
            switch result {
            case .success(let value):
                #expect(index != 7)
                #expect(value == index)
            case .failure(let error):
                #expect(index == 7)
                #expect((error as? PostgresError)?.isStatementTimeout == true)
            }
        }
        #expect(results.count == 20)
    }

    @Test func aPipelinedCallerCancelledWhileQueuedIsAnsweredAtOnceAndNeverSent() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, pipelines: 1)
        defer { database.shutdown() }
        try await database.query("CREATE TABLE marks (n int)")
        // The one pipeline thread is busy with a statement that waits for a lock this test holds…
        let holder = try test.connect("clientele-test-admin")
        defer { holder.close() }
        try holder.execute(simple: "SELECT pg_advisory_lock(15)")
        let busy = Task { try await database.query("SELECT pg_advisory_xact_lock(15)") }
        #expect(try await eventually { try running("pg_advisory_xact_lock", in: test) == 1 })
        // …so this waits in the queue, and its caller gives up there.
        let queued = Task { try await database.query("INSERT INTO marks VALUES (1)") }
        try await Task.sleep(for: .milliseconds(100))
        queued.cancel()
        let outcome = await queued.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        try holder.execute(simple: "SELECT pg_advisory_unlock(15)")
        _ = try await busy.value
        let marks = try await database.query("SELECT count(*)::int FROM marks").first!.decode(Int.self, at: 0)
        #expect(marks == 0)
    }

    @Test func theURLsSSLModeIsHonoured() throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        // The private cluster has no TLS: a URL that requires it must be refused, not quietly downgraded.
        let separator = test.url.contains("?") ? "&" : "?"
        let error = #expect(throws: PostgresError.self) {
            try Connection(ConnectionOptions(url: test.url + separator + "sslmode=require", applicationName: "test"))
        }
        #expect(error?.kind == .connection)
        #expect(error?.message.contains("SSL") == true)
    }

    @Test func anErrorsTextCarriesNoRowValues() throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let connection = try test.connect()
        defer { connection.close() }
        try connection.execute(simple: "CREATE TABLE person (email text CONSTRAINT person_email_unique UNIQUE)")
        try connection.execute("INSERT INTO person VALUES (\("ann@example.com"))")
        let error = #expect(throws: PostgresError.self) {
            try connection.execute("INSERT INTO person VALUES (\("ann@example.com"))")
        }
        #expect(error?.detail?.contains("ann@example.com") == true)
        let texts = ["\(error!)", String(reflecting: error!), error!.description, error!.debugDescription]
        for text in texts {
            #expect(!text.contains("ann@example.com"))
            #expect(text.contains("23505") && text.contains("person_email_unique"))
        }
    }
}
