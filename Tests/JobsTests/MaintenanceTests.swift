import Foundation
import Jobs
import Logging
import Postgres
import Testing

@Suite struct MaintenanceTests {
    let logger = Logger(label: "test")

    @Test func theRescuerReturnsJobsWhoseLeaseExpiredAndLeavesLiveLeasesAlone() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        try await JobQueue.enqueue(NewJob(kind: "dead", args: JSONText("{}")), on: test.database)
        try await JobQueue.enqueue(NewJob(kind: "dead-last", args: JSONText("{}"), maxAttempts: 1), on: test.database)
        // Claimed with a lease that has already run out: their worker "died".
        let dead = try await JobQueue.claim(limit: 2, worker: "dead-worker", lease: 0, on: test.database)
        #expect(dead.count == 2)
        try await JobQueue.enqueue(NewJob(kind: "alive", args: JSONText("{}")), on: test.database)
        _ = try await JobQueue.claim(limit: 1, worker: "live-worker", lease: 30, on: test.database)

        #expect(try await Rescuer(database: test.database, logger: logger).rescueOnce() == 2)

        let states = try await test.database.query("SELECT kind, state, errors->0->>'error' FROM job ORDER BY id").rows
        #expect(try states.map { try $0.decode(String.self, at: 1) } == ["retryable", "discarded", "running"])
        #expect(try states[0].decode(String.self, at: 2) == "lease expired: worker dead-worker stopped renewing it")
        // Rescued without a backoff: claimable at once.
        #expect(try await JobQueue.claim(limit: 5, worker: "w", lease: 30, on: test.database).map(\.kind) == ["dead"])
    }

    @Test func renewedLeasesAreNotRescued() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        try await JobQueue.enqueue(NewJob(kind: "noop", args: JSONText("{}")), on: test.database)
        let jobs = try await JobQueue.claim(limit: 1, worker: "w", lease: 0, on: test.database)
        try await JobQueue.renewLeases(jobs, lease: 30, on: test.database)
        #expect(try await Rescuer(database: test.database, logger: logger).rescueOnce() == 0)
    }

    @Test func thePrunerDeletesCompletedJobsAfterADayAndDiscardedOnesAfterAWeek() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        try await test.database.query(
            """
            INSERT INTO job (kind, state, finalized_at) VALUES
                ('completed-old', 'completed', now() - interval '25 hours'),
                ('completed-new', 'completed', now() - interval '23 hours'),
                ('discarded-old', 'discarded', now() - interval '8 days'),
                ('discarded-new', 'discarded', now() - interval '6 days'),
                ('cancelled-old', 'cancelled', now() - interval '8 days'),
                ('available', 'available', NULL),
                ('running', 'running', NULL)
            """)
        // A small batch size makes it loop over several batches.
        let pruner = Pruner(database: test.database, batchSize: 1, logger: logger)
        #expect(try await pruner.pruneOnce() == 3)
        let kinds = try await test.database.query("SELECT kind FROM job ORDER BY id").rows.map { try $0.decode(String.self, at: 0) }
        #expect(kinds == ["completed-new", "discarded-new", "available", "running"])
    }
}
