import Foundation
import Postgres
import TestSupport
import Testing

@Suite struct DatabaseTests {
    func makeDatabase(
        _ test: TestDatabase, pipelines: Int = 2, leased: Int = 4, acquireTimeout: Double = 2
    ) -> Database {
        var configuration = PoolConfiguration()
        configuration.pipelines = pipelines
        configuration.leasedConnections = leased
        configuration.acquireTimeout = acquireTimeout
        return Database(options: test.options("clientele-pooltest"), configuration: configuration)
    }

    @Test func pipelinedStatementsReturnEachCallersOwnResult() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test)
        defer { database.shutdown() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for value in 0..<500 {
                group.addTask {
                    let row = try await database.query("SELECT \(value)::int * 2, \("v\(value)")::text").first!
                    #expect(try row.decode(Int.self, at: 0) == value * 2)
                    #expect(try row.decode(String.self, at: 1) == "v\(value)")
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func aFailingStatementInABatchFailsOnlyItsCaller() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, pipelines: 1)
        defer { database.shutdown() }
        let outcomes = await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
            for index in 0..<200 {
                group.addTask {
                    do {
                        // Every 10th statement divides by zero; the others must not notice.
                        let divisor = index % 10 == 0 ? 0 : 1
                        let row = try await database.query("SELECT \(index)::int / \(divisor)::int").first!
                        return (index, .success(try row.decode(Int.self, at: 0)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for (index, outcome) in outcomes {
            switch outcome {
            case .success(let value):
                #expect(index % 10 != 0)
                #expect(value == index)
            case .failure(let error):
                #expect(index % 10 == 0)
                #expect((error as? PostgresError)?.sqlState == "22012")
            }
        }
        #expect(outcomes.count == 200)
    }

    @Test func twoHundredConcurrentTransactionsThroughAPoolOfFourAllFinish() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        // A generous acquire timeout: the test is about finishing without deadlock, not about speed, and
        // 200 transactions serialised on one row take long on a loaded machine.
        let database = makeDatabase(test, leased: 4, acquireTimeout: 300)
        defer { database.shutdown() }
        try await database.query("CREATE TABLE counter (n int)")
        try await database.query("INSERT INTO counter VALUES (0)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    try await database.withTransaction { connection in
                        let n = try await connection.query("SELECT n FROM counter FOR UPDATE").first!.decode(Int.self, at: 0)
                        try await connection.query("UPDATE counter SET n = \(n + 1)")
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = try await database.query("SELECT n FROM counter").first!.decode(Int.self, at: 0)
        #expect(total == 200)
        #expect(database.poolStatistics.inUse == 0)
    }

    @Test func aTransactionRollsBackWhenItsBodyThrows() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test)
        defer { database.shutdown() }
        try await database.query("CREATE TABLE t (v int)")
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await database.withTransaction { connection in
                try await connection.query("INSERT INTO t VALUES (\(1))")
                throw Abort()
            }
        }
        let count = try await database.query("SELECT count(*)::int FROM t").first!.decode(Int.self, at: 0)
        #expect(count == 0)
        try await database.withTransaction { connection in try await connection.query("INSERT INTO t VALUES (\(2))") }
        #expect(try await database.query("SELECT count(*)::int FROM t").first!.decode(Int.self, at: 0) == 1)
    }

    @Test func theAcquireTimeoutFiresWhenEveryConnectionIsHeld() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, leased: 1, acquireTimeout: 0.3)
        defer { database.shutdown() }
        let holder = Task {
            try await database.withConnection { connection in
                try await connection.query("SELECT pg_sleep(2)")
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        let error = await #expect(throws: PostgresError.self) {
            try await database.withConnection { connection in try await connection.query("SELECT 1") }
        }
        #expect(error?.kind == .poolExhausted)
        #expect(error?.isUnavailable == true)
        #expect(database.poolStatistics.timeouts >= 1)
        _ = try await holder.value
        // Once it is released, the next caller gets it.
        try await database.withConnection { connection in try await connection.query("SELECT 1") }
    }

    @Test func terminatedConnectionsAreReplaced() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, pipelines: 2, leased: 3)
        defer { database.shutdown() }
        // Open every kind of connection.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    _ = try await database.withConnection { connection in try await connection.query("SELECT pg_sleep(0.2)") }
                }
            }
            for index in 0..<100 { group.addTask { _ = try await database.query("SELECT \(index)::int") } }
            try await group.waitForAll()
        }
        let admin = try test.connect("clientele-test-admin")
        let killed = try admin.execute(
            "SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE application_name = \("clientele-pooltest") AND datname = current_database()"
        ).first!.decode(Int.self, at: 0)
        #expect(killed >= 4)
        try await Task.sleep(for: .milliseconds(200))
        // Idle connections that died are found before use: no caller sees an error.
        for index in 0..<20 {
            #expect(try await database.query("SELECT \(index)::int").first!.decode(Int.self, at: 0) == index)
        }
        for _ in 0..<6 {
            try await database.withTransaction { connection in try await connection.query("SELECT 1") }
        }
    }

    @Test func aConnectionKilledMidBatchFailsOrAnswersEveryCallerOfThatBatch() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, pipelines: 1)
        defer { database.shutdown() }
        _ = try await database.query("SELECT 1")
        let admin = try test.connect("clientele-test-admin")
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<50 {
                group.addTask {
                    do {
                        _ = try await database.query("SELECT pg_sleep(0.01), \(index)::int")
                        return true
                    } catch {
                        return false
                    }
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(50))
                _ = try? admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \("clientele-pooltest") AND datname = current_database()"
                )
                return true
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        // Every caller got an answer (none hangs); the pool serves again afterwards.
        #expect(outcomes.count == 51)
        #expect(try await database.query("SELECT 7::int").first!.decode(Int.self, at: 0) == 7)
    }

    @Test func aTransactionWhoseConnectionDiesFailsCleanly() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test)
        defer { database.shutdown() }
        try await database.query("CREATE TABLE t (v int)")
        let admin = try test.connect("clientele-test-admin")
        let error = await #expect(throws: PostgresError.self) {
            try await database.withTransaction { connection in
                try await connection.query("INSERT INTO t VALUES (\(1))")
                _ = try admin.execute("SELECT pg_terminate_backend(\(connection.backendPID))")
                try await connection.query("INSERT INTO t VALUES (\(2))")
            }
        }
        #expect(error?.isConnectionLost == true)
        #expect(try await database.query("SELECT count(*)::int FROM t").first!.decode(Int.self, at: 0) == 0)
    }

    @Test func aNotifyIsReceived() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test)
        defer { database.shutdown() }
        let listener = NotificationListener(options: test.options("clientele-listen"), channels: ["clientele_test"])
        defer { listener.stop() }
        var iterator = listener.events.makeAsyncIterator()
        #expect(await iterator.next() == .listening)
        try await database.withTransaction { connection in
            try await connection.query("SELECT pg_notify('clientele_test', \("hello ü"))")
        }
        #expect(await iterator.next() == .notification(channel: "clientele_test", payload: "hello ü"))
    }
}
