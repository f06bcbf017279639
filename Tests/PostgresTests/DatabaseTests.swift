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
        _ = try await database.withTransaction { connection in try await connection.query("INSERT INTO t VALUES (\(2))") }
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
            _ = try await database.withConnection { connection in try await connection.query("SELECT 1") }
        }
        #expect(error?.kind == .poolExhausted)
        #expect(error?.isUnavailable == true)
        #expect(database.poolStatistics.timeouts >= 1)
        _ = try await holder.value
        // Once it is released, the next caller gets it.
        _ = try await database.withConnection { connection in try await connection.query("SELECT 1") }
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
            _ = try await database.withTransaction { connection in try await connection.query("SELECT 1") }
        }
    }

    /// What a caller of a batch cut by a dead connection sees: its own answer, or a connection error.
    enum BatchOutcome: Equatable { case answered(asked: Int, got: Int), cutOff, otherError(String) }

    @Test func aConnectionKilledMidBatchFailsOrAnswersEveryCallerOfThatBatch() async throws {
        let test = try TestDatabase.create()
        defer { test.drop() }
        let database = makeDatabase(test, pipelines: 1)
        defer { database.shutdown() }
        for index in 0..<10 {
            #expect(try await database.query("SELECT \(index)::int").first!.decode(Int.self, at: 0) == index)
        }
        // 50 statements queue on the one pipelined connection behind a lock the test holds, so that the
        // connection is certainly killed mid-batch, however slowly this machine runs the test.
        let admin = try test.connect("clientele-test-admin")
        _ = try admin.execute("SELECT pg_advisory_lock(4242)")
        let batch = Task {
            await withTaskGroup(of: BatchOutcome.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        do {
                            let got = try await database.query("SELECT \(index)::int FROM pg_advisory_xact_lock_shared(4242)")
                                .first!.decode(Int.self, at: 0)
                            return .answered(asked: index, got: got)
                        } catch let error as PostgresError
                            where error.kind == .connection || error.sqlState?.hasPrefix("57P") == true {
                            return .cutOff
                        } catch {
                            return .otherError(String(describing: error))
                        }
                    }
                }
                return await group.reduce(into: [BatchOutcome]()) { $0.append($1) }
            }
        }
        let killed = try await Self.terminateWhileRunning("pg_advisory_xact_lock_shared", application: "clientele-pooltest", via: admin)
        #expect(killed, "the pipelined connection was never seen running a statement of the batch")
        // The pipeline takes what is queued when it is free: callers that queued after the cut batch was sent
        // go out on the next connection, behind the same lock. Released now, they are answered.
        _ = try admin.execute("SELECT pg_advisory_unlock_all()")
        // Every caller gets an answer (a generous bound turns a hang into a failure, not a stuck run).
        let outcomes = try await Self.within(seconds: 60) {
            await withTaskCancellationHandler { await batch.value } onCancel: { batch.cancel() }
        }
        #expect(outcomes?.count == 50, "callers of the cut batch still waiting after 60 s")
        let answered = outcomes?.filter { if case .answered = $0 { true } else { false } } ?? []
        #expect(answered.allSatisfy { if case let .answered(asked, got) = $0 { asked == got } else { false } })
        #expect(outcomes?.contains(.cutOff) == true, "the statement running when the connection died did not fail")
        #expect(outcomes?.filter { if case .otherError = $0 { true } else { false } } ?? [] == [])
        // The pool serves again afterwards.
        #expect(try await database.query("SELECT 7::int").first!.decode(Int.self, at: 0) == 7)
    }

    /// Waits (at most 30 s) until a backend of `application` runs a statement containing `fragment`, then
    /// terminates it; false if none was seen running.
    static func terminateWhileRunning(_ fragment: String, application: String, via admin: Connection) async throws -> Bool {
        for _ in 0..<3000 {
            let terminated = try admin.execute(
                """
                SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
                WHERE application_name = \(application) AND datname = current_database()
                  AND state = 'active' AND position(\(fragment) in query) > 0
                """
            ).first!.decode(Int.self, at: 0)
            if terminated > 0 { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// The result of `work`, or nil when it has not finished within `seconds` (then it is cancelled).
    static func within<T: Sendable>(seconds: Double, _ work: @escaping @Sendable () async -> T) async throws -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await work() }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
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
        _ = try await database.withTransaction { connection in
            try await connection.query("SELECT pg_notify('clientele_test', \("hello ü"))")
        }
        #expect(await iterator.next() == .notification(channel: "clientele_test", payload: "hello ü"))
    }
}
