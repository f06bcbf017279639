import Foundation
import Jobs
import Postgres
import Testing

@Suite struct JobQueueTests {
    struct Rollback: Error {}

    @Test func aJobEnqueuedInARolledBackTransactionDoesNotExist() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        await #expect(throws: Rollback.self) {
            try await test.database.withTransaction { connection in
                try await JobQueue.enqueue(NewJob(kind: "noop", args: JSONText("{}")), on: connection)
                throw Rollback()
            }
        }
        #expect(try await test.count("true") == 0)
    }

    @Test func aCommittedJobExistsAndWakesTheListenerOnCommit() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        let listener = NotificationListener(options: test.options, channels: [JobQueue.channel])
        defer { listener.stop() }
        var events = listener.events.makeAsyncIterator()
        #expect(await events.next() == .listening)
        let started = ContinuousClock.now
        try await test.database.withTransaction { connection in
            try await JobQueue.enqueue(
                NewJob(kind: "customer.created", args: JSONText(#"{"customer_id": "cus_1"}"#)), on: connection)
        }
        #expect(await events.next() == .notification(channel: JobQueue.channel, payload: ""))
        print("commit → notification: \(ContinuousClock.now - started)")
        let row = try await test.database.query("SELECT kind, args->>'customer_id', state, max_attempts FROM job").first!
        #expect(try row.decode(String.self, at: 0) == "customer.created")
        #expect(try row.decode(String.self, at: 1) == "cus_1")
        #expect(try row.decode(String.self, at: 2) == "available")
        #expect(try row.decode(Int.self, at: 3) == 20)
    }

    @Test func aUniqueKeyAllowsOneUnfinishedJob() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        for _ in 0..<3 {
            try await JobQueue.enqueue(NewJob(kind: "noop", args: JSONText("{}"), uniqueKey: "k"), on: test.database)
        }
        #expect(try await test.count("unique_key = 'k'") == 1)
    }

    @Test func twoClaimersNeverReceiveTheSameJob() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        let jobs = 2_000
        try await test.database.query(
            "INSERT INTO job (kind, args) SELECT 'noop', '{}' FROM generate_series(1, \(jobs)::int)")
        let other = test.anotherPool()
        defer { other.shutdown() }
        // Two pools, as two worker processes: each claims small batches as fast as it can until none is left.
        let claimed = try await withThrowingTaskGroup(of: [Int].self) { group in
            for (index, database) in [test.database, other, test.database, other].enumerated() {
                group.addTask {
                    var ids: [Int] = []
                    while true {
                        let batch = try await JobQueue.claim(limit: 7, worker: "claimer-\(index)", lease: 30, on: database)
                        if batch.isEmpty { return ids }
                        ids += batch.map(\.id)
                    }
                }
            }
            return try await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        let all = claimed.flatMap { $0 }
        print("claims per claimer: \(claimed.map(\.count))")
        #expect(all.count == jobs)
        #expect(Set(all).count == jobs)
        #expect(try await test.count("state = 'running' AND attempt = 1") == jobs)
    }

    @Test func aClaimTakesHigherPriorityFirstAndSkipsJobsNotYetDue() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        let later = Timestamp(Date().addingTimeInterval(3600))
        try await JobQueue.enqueue(NewJob(kind: "low", args: JSONText("{}"), priority: 4), on: test.database)
        try await JobQueue.enqueue(NewJob(kind: "high", args: JSONText("{}"), priority: 1), on: test.database)
        try await JobQueue.enqueue(NewJob(kind: "later", args: JSONText("{}"), scheduledAt: later), on: test.database)
        let claimed = try await JobQueue.claim(limit: 10, worker: "w", lease: 30, on: test.database)
        #expect(Set(claimed.map(\.kind)) == ["low", "high"])
        #expect(try await test.count("kind = 'later' AND state = 'scheduled'") == 1)
    }

    @Test func backoffIsAttemptToTheFourthSecondsWithinTenPercent() {
        #expect(Backoff.seconds(afterAttempt: 1, random: 0) == 1)
        #expect(Backoff.seconds(afterAttempt: 2, random: 0) == 16)
        #expect(Backoff.seconds(afterAttempt: 3, random: 0) == 81)
        #expect(Backoff.seconds(afterAttempt: 10, random: 0) == 10_000)
        #expect(abs(Backoff.seconds(afterAttempt: 5, random: 1) - 625 * 1.1) < 1e-9)
        #expect(abs(Backoff.seconds(afterAttempt: 5, random: -1) - 625 * 0.9) < 1e-9)
        for _ in 0..<1000 {
            let seconds = Backoff.seconds(afterAttempt: 4)
            #expect(seconds >= 256 * 0.9 && seconds <= 256 * 1.1)
        }
    }

    @Test func aFailedAttemptIsRetriedAfterItsBackoffAndDiscardedAfterMaxAttempts() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        try await JobQueue.enqueue(NewJob(kind: "flaky", args: JSONText("{}"), maxAttempts: 3), on: test.database)

        let first = try #require(try await JobQueue.claim(limit: 1, worker: "w", lease: 30, on: test.database).first)
        #expect(first.attempt == 1)
        #expect(try await JobQueue.fail(first, error: "boom 1", on: test.database) == .retryable)
        // The backoff after attempt 1 is 1 s ± 10 %, counted from the failure (both are the statement's now()).
        let delay = try await test.database.query(
            "SELECT extract(epoch FROM scheduled_at - (errors->0->>'at')::timestamptz)::float8 FROM job"
        ).first!.decode(Double.self, at: 0)
        #expect(delay >= 0.9 && delay <= 1.1)
        // A retry that is not due yet is not claimed.
        try await test.database.query("UPDATE job SET scheduled_at = now() + interval '1 hour'")
        #expect(try await JobQueue.claim(limit: 1, worker: "w", lease: 30, on: test.database).isEmpty)

        for attempt in 2...3 {
            try await test.database.query("UPDATE job SET scheduled_at = now()")  // skip the wait
            let job = try #require(try await JobQueue.claim(limit: 1, worker: "w", lease: 30, on: test.database).first)
            #expect(job.attempt == attempt)
            let state = try await JobQueue.fail(job, error: "boom \(attempt)", on: test.database)
            #expect(state == (attempt < 3 ? .retryable : .discarded))
        }
        #expect(try await JobQueue.claim(limit: 1, worker: "w", lease: 30, on: test.database).isEmpty)
        let row = try await test.database.query(
            "SELECT state, finalized_at IS NOT NULL, jsonb_array_length(errors), errors->2->>'error', errors->2->>'attempt' FROM job"
        ).first!
        #expect(try row.decode(String.self, at: 0) == "discarded")
        #expect(try row.decode(Bool.self, at: 1))
        #expect(try row.decode(Int.self, at: 2) == 3)
        #expect(try row.decode(String.self, at: 3) == "boom 3")
        #expect(try row.decode(String.self, at: 4) == "3")
    }

    @Test func aStaleAttemptCannotOverwriteANewerOne() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        try await JobQueue.enqueue(NewJob(kind: "noop", args: JSONText("{}")), on: test.database)
        let stale = try #require(try await JobQueue.claim(limit: 1, worker: "a", lease: 0, on: test.database).first)
        try await Rescuer(database: test.database, logger: .init(label: "test")).rescueOnce()
        let current = try #require(try await JobQueue.claim(limit: 1, worker: "b", lease: 30, on: test.database).first)
        try await JobQueue.complete([stale], on: test.database)
        #expect(try await JobQueue.fail(stale, error: "late", on: test.database) == nil)
        #expect(try await test.count("state = 'running' AND attempted_by = 'b'") == 1)
        try await JobQueue.complete([current], on: test.database)
        #expect(try await test.count("state = 'completed'") == 1)
    }
}
