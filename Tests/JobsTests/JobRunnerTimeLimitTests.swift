import Dispatch
import Foundation
import Jobs
import Logging
import Postgres
import Synchronization
import Testing

/// A hung job is rescued by its time limit, and a stopping worker hands a job back only once its handler
/// returned (issue 15).
@Suite struct JobRunnerTimeLimitTests {
    let logger = Logger(label: "test")

    /// Attempt 1 never returns on its own (it waits until cancelled); later attempts complete.
    struct HangsOnFirstAttempt: JobHandler {
        func run(_ job: Job, context: JobContext) async throws -> JobOutcome {
            if job.attempt == 1 { try await Task.sleep(for: .seconds(3600)) }
            return .completed
        }
    }

    /// Runs until it is cancelled, then takes `seconds` more to stop (ignoring the cancellation meanwhile),
    /// records that it returned, and throws, as a cancelled send does. It never ends on its own, so what
    /// the runner does is all that decides the outcome, however slow the machine.
    struct SlowToStop: JobHandler {
        let seconds: Double
        let started: Flag
        let returned: Flag
        func run(_ job: Job, context: JobContext) async throws -> JobOutcome {
            started.set()
            do { try await Task.sleep(for: .seconds(3600)) } catch {}
            await withCheckedContinuation { continuation in
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { continuation.resume() }
            }
            returned.set()
            throw CancellationError()
        }
    }

    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    func runner(_ test: JobsTestDatabase, handlers: JobHandlers, configure: (inout JobRunnerConfiguration) -> Void) -> JobRunner {
        var configuration = JobRunnerConfiguration(workerName: "test-worker", listenOptions: nil)
        configuration.pollInterval = 0.1
        configure(&configuration)
        return JobRunner(database: test.database, configuration: configuration, handlers: handlers, logger: logger)
    }

    /// Polls `condition` for at most `seconds`: generous, because `make test` runs every suite at once.
    func eventually(_ seconds: Double = 120, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    @Test func aHandlerPastItsTimeLimitIsCancelledRecordedAndRetriedUntilItCompletes() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        var handlers = JobHandlers()
        handlers.register("hang", HangsOnFirstAttempt())
        let runner = runner(test, handlers: handlers) { $0.jobTimeout = 0.5 }
        let running = Task { await runner.run() }
        try await JobQueue.enqueue(NewJob(kind: "hang", args: JSONText("{}")), on: test.database)
        // Attempt 1 times out after half a second, waits its backoff (about 1 s), and attempt 2 completes.
        #expect(try await eventually { try await test.count("state = 'completed'") == 1 })
        runner.stop()
        await running.value
        let row = try await test.database.query("SELECT attempt, errors->0->>'error', jsonb_array_length(errors) FROM job").first!
        #expect(try row.decode(Int.self, at: 0) == 2)
        let error = try row.decode(String.self, at: 1)
        #expect(error.hasPrefix("timed out after 0.5 s"), "\(error)")
        #expect(try row.decode(Int.self, at: 2) == 1)
    }

    /// Runs one job of a handler that takes `stopSeconds` to stop once cancelled, stops the runner as soon as
    /// the handler started, and returns once `run()` did: whether the handler had returned by then.
    func handlerReturnedBeforeTheRunnerStopped(
        _ test: JobsTestDatabase, stopSeconds: Double, cancelledHandlerWait: Double
    ) async throws -> Bool {
        let started = Flag()
        let returned = Flag()
        var handlers = JobHandlers()
        handlers.register("slow", SlowToStop(seconds: stopSeconds, started: started, returned: returned))
        let runner = runner(test, handlers: handlers) { configuration in
            configuration.gracefulTimeout = 0.2
            configuration.cancelledHandlerWait = cancelledHandlerWait
        }
        let running = Task { await runner.run() }
        try await JobQueue.enqueue(NewJob(kind: "slow", args: JSONText("{}")), on: test.database)
        #expect(try await eventually { started.isSet })
        runner.stop()
        await running.value
        return returned.isSet
    }

    @Test func onStopARunningHandlerIsCancelledAndItsJobHandedBackOnlyAfterItReturned() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        // run() returned only after the handler did, and the job went back only then.
        #expect(try await handlerReturnedBeforeTheRunnerStopped(test, stopSeconds: 1.5, cancelledHandlerWait: 20))
        let row = try await test.database.query("SELECT state, errors->0->>'error' FROM job").first!
        #expect(try row.decode(String.self, at: 0) == "available")
        #expect(try row.decode(String.self, at: 1).contains("handed back"))
    }

    @Test func aHandlerThatIgnoresItsCancellationKeepsItsJobForTheRescuer() async throws {
        let test = try JobsTestDatabase.create()
        defer { test.drop() }
        // It takes far longer to stop than the runner waits, however slow the machine.
        let returned = try await handlerReturnedBeforeTheRunnerStopped(test, stopSeconds: 15, cancelledHandlerWait: 0.3)
        // Still running when the worker gave up on it: not handed back, so no other worker can run it
        // while this handler might still act; its lease runs out after the process exits.
        #expect(!returned)
        #expect(try await test.count("state = 'running'") == 1)
    }
}
