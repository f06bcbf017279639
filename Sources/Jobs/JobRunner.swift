import Foundation
import Logging
import Postgres
import Synchronization

/// How a worker runs jobs.
public struct JobRunnerConfiguration: Sendable {
    /// Jobs run at once (WORKER_CONCURRENCY).
    public var concurrency: Int = 16
    /// Seconds a claim is valid without renewal; renewed every third of it.
    public var lease: Double = 30
    /// Seconds between polls, the fallback for missed notifications and for retries that became due.
    public var pollInterval: Double = 1
    /// Seconds running jobs get to finish after `stop()` (GRACEFUL_TIMEOUT); then they are cancelled.
    public var gracefulTimeout: Double = 30
    /// Seconds an attempt may run before its handler is cancelled and the attempt fails as timed out
    /// (JOB_TIMEOUT; River's default too). A handler may set its own (`JobHandler.timeout`).
    public var jobTimeout: Double = 60
    /// On stop, seconds cancelled handlers get to return. A handler still running after that keeps its job:
    /// it is not handed back (the handler might still send), and the rescuer returns it once its lease
    /// expires, after this process has exited.
    public var cancelledHandlerWait: Double = 10
    /// Recorded in `job.attempted_by`: host/pid.
    public var workerName: String
    /// Where to LISTEN (DATABASE_LISTEN_URL, else DATABASE_URL); nil polls only.
    public var listenOptions: ConnectionOptions?
    public var rescueInterval: Double = Rescuer.defaultInterval
    public var pruneInterval: Double = Pruner.defaultInterval
    /// Called after every claim and lease renewal that reached the database (about once a poll): a sign of
    /// life for health checks (WORKER_HEARTBEAT_FILE). Must return quickly.
    public var heartbeat: (@Sendable () -> Void)?

    public init(workerName: String = JobRunnerConfiguration.defaultWorkerName, listenOptions: ConnectionOptions?) {
        self.workerName = workerName
        self.listenOptions = listenOptions
    }

    public static var defaultWorkerName: String { "\(ProcessInfo.processInfo.hostName)/\(getpid())" }
}

/// The worker: claims jobs, runs their handlers, records outcomes, keeps leases alive, and runs the
/// maintenance duties (rescuer, pruner).
///
/// - Fetching: on a notification on `clientele_jobs`, on (re)connecting the listener, every `pollInterval`,
///   and right after a job finishes when the last claim filled every free slot (more are likely waiting).
///   Each fetch claims at most as many jobs as there are free slots, so no claimed job waits in memory.
/// - Guarantee: a job runs in at most one worker at a time, because claims use `SKIP LOCKED` and every later
///   change is guarded by the attempt it belongs to. A worker that stops renewing (dead) loses its jobs to
///   the rescuer; a worker that stops on TERM hands its unfinished jobs back once their handlers returned.
/// - Time limits: an attempt is cancelled after its kind's timeout (`jobTimeout`) and fails like any
///   error (`errors` says it timed out; retried with backoff). On stop, handlers still running after the
///   graceful timeout are cancelled, and a job is handed back only after its handler returned.
public final class JobRunner: Sendable {
    private struct State {
        var stopping = false
        /// Handlers running now.
        var active = 0
        /// The last claim filled every free slot: fetch again as soon as one frees up.
        var mayHaveMore = false
        var fetchFailing = false
    }

    private let database: Database
    private let configuration: JobRunnerConfiguration
    private let handlers: JobHandlers
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation
    private let completions: CompletionBatcher
    /// Claimed and not yet finalized in the database: their leases are renewed.
    private let held = HeldJobs()
    /// The task of every handler running now, to cancel them on stop.
    private let running = RunningHandlers()

    public init(database: Database, configuration: JobRunnerConfiguration, handlers: JobHandlers, logger: Logger) {
        self.database = database
        self.configuration = configuration
        self.handlers = handlers
        self.logger = logger
        // Wake-ups coalesce: ten thousand notifications while a fetch runs mean one more fetch.
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let held = self.held
        completions = CompletionBatcher(database: database, logger: logger) { jobs in held.remove(jobs) }
    }

    /// Stops claiming; `run()` returns once running jobs finished or the graceful timeout passed. Safe to
    /// call from any thread, more than once.
    public func stop() {
        state.withLock { $0.stopping = true }
        wakeup.yield()
    }

    /// Runs until `stop()`, then drains and returns.
    public func run() async {
        let listener = configuration.listenOptions.map { NotificationListener(options: $0, channels: [JobQueue.channel]) }
        let rescuer = Rescuer(database: database, interval: configuration.rescueInterval, logger: logger)
        let pruner = Pruner(database: database, interval: configuration.pruneInterval, logger: logger)
        let background: [Task<Void, Never>] = [
            Task { [self] in
                guard let listener else { return }
                for await event in listener.events {
                    if event == .listening { logger.debug("listening", metadata: ["channel": "\(JobQueue.channel)"]) }
                    wakeup.yield()
                }
            },
            Task { [self] in await repeatEvery(configuration.pollInterval) { self.wakeup.yield() } },
            Task { [self] in await repeatEvery(configuration.lease / 3) { await self.renewLeases() } },
            Task { await rescuer.run() },
            Task { await pruner.run() },
        ]
        logger.info(
            "worker started",
            metadata: [
                "worker": "\(configuration.workerName)", "concurrency": "\(configuration.concurrency)",
                "kinds": "\(handlers.kinds.joined(separator: ","))",
            ])

        wakeup.yield()
        for await _ in wakeups {
            if state.withLock({ $0.stopping }) { break }
            await fetch()
        }

        await drain()
        for task in background { task.cancel() }
        listener?.stop()
    }

    // MARK: Fetching and running

    private func fetch() async {
        while true {
            let free: Int = state.withLock { $0.stopping ? 0 : configuration.concurrency - $0.active }
            if free <= 0 { return }
            let jobs: [Job]
            do {
                jobs = try await JobQueue.claim(limit: free, worker: configuration.workerName, lease: configuration.lease, on: database)
                configuration.heartbeat?()
                if state.withLock({ state in defer { state.fetchFailing = false }; return state.fetchFailing }) {
                    logger.info("claiming jobs works again")
                }
            } catch {
                // Logged once per outage; the next poll tries again.
                if !state.withLock({ state in defer { state.fetchFailing = true }; return state.fetchFailing }) {
                    logger.warning("cannot claim jobs; retrying every poll", metadata: ["error": "\(error)"])
                }
                return
            }
            held.insert(jobs)
            state.withLock { state in
                state.active += jobs.count
                state.mayHaveMore = jobs.count == free
            }
            for job in jobs { running.start(job.id) { await self.execute(job) } }
            if jobs.count < free { return }
        }
    }

    private func execute(_ job: Job) async {
        var logger = self.logger
        logger[metadataKey: "job_id"] = "\(job.id)"
        logger[metadataKey: "kind"] = "\(job.kind)"
        logger[metadataKey: "attempt"] = "\(job.attempt)"
        do {
            guard let handler = handlers.handler(for: job.kind) else {
                throw UnknownJobKind(kind: job.kind, known: handlers.kinds)
            }
            let context = JobContext(database: database, logger: logger)
            let outcome = try await withTimeLimit(seconds: handler.timeout ?? configuration.jobTimeout) {
                try await handler.run(job, context: context)
            }
            switch outcome {
            case .completed:
                completions.add(job)
            case .finalizedByHandler:
                release(job)
            }
        } catch _ where Task.isCancelled {
            // Cancelled by `drain()`: the job stays held, and is handed back there now that its handler returned.
            logger.info("job cancelled: the worker is stopping")
        } catch let error as PermanentJobError {
            do {
                try await JobQueue.discard(job, error: error.reason, on: database)
                logger.error("job discarded", metadata: ["error": "\(error.reason)"])
            } catch {
                logger.error("could not record a discarded job", metadata: ["error": "\(error)"])
            }
            release(job)
        } catch {
            // Row values a database error may carry (its detail) go to debug lines only.
            if let detail = (error as? PostgresError)?.detail {
                logger.debug("database error detail", metadata: ["detail": "\(detail)"])
            }
            do {
                let now = try await JobQueue.fail(job, error: "\(error)", on: database)
                logger.warning(
                    now == .discarded ? "job failed its last attempt: discarded" : "job failed; will retry",
                    metadata: ["error": "\(error)"])
            } catch let recordError {
                // Not released into limbo: the lease runs out and the rescuer returns it.
                logger.error("could not record a failed attempt", metadata: ["error": "\(error)", "record_error": "\(recordError)"])
            }
            release(job)
        }
        let fetchNow = state.withLock { state in
            state.active -= 1
            return state.mayHaveMore && !state.stopping
        }
        if fetchNow { wakeup.yield() }
    }

    private func release(_ job: Job) {
        held.remove([job])
    }

    private func renewLeases() async {
        let held = self.held.all
        do {
            try await JobQueue.renewLeases(held, lease: configuration.lease, on: database)
            if !held.isEmpty { configuration.heartbeat?() }  // an empty renewal sends nothing
        } catch is CancellationError {
            // The worker stops (drain has finished with these jobs).
        } catch {
            logger.warning("could not renew leases", metadata: ["jobs": "\(held.count)", "error": "\(error)"])
        }
    }

    // MARK: Stopping

    /// Waits for running handlers up to the graceful timeout, then cancels those still running and waits
    /// for them to return; records the completions, and hands every job still unfinished back to the queue,
    /// so the next worker runs it without waiting for a rescue.
    ///
    /// Guarantee: a job is handed back only once its handler has returned, so it is never run elsewhere
    /// while this handler might still send. A handler that ignores its cancellation keeps its job (see
    /// `cancelledHandlerWait`).
    private func drain() async {
        logger.info("stopping: no more claims", metadata: ["running": "\(running.count)"])
        await waitForHandlers(seconds: configuration.gracefulTimeout)
        if running.count > 0 {
            logger.warning(
                "graceful timeout passed: cancelling the running jobs", metadata: ["jobs": "\(running.count)"])
            running.cancelAll()
            await waitForHandlers(seconds: configuration.cancelledHandlerWait)
        }
        let completionDeadline = ContinuousClock.now + .seconds(5)
        while !completions.isIdle && ContinuousClock.now < completionDeadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let stuck = running.jobIDs
        if !stuck.isEmpty {
            logger.error(
                "handlers did not return after their cancellation: their jobs are not handed back; the rescuer returns them when their leases expire",
                metadata: ["jobs": "\(stuck.count)"])
        }
        let unfinished = held.all.filter { !stuck.contains($0.id) }
        guard !unfinished.isEmpty else {
            logger.info("stopped: every running job finished")
            return
        }
        do {
            try await JobQueue.handBack(
                unfinished, reason: "worker \(configuration.workerName) stopped before the job finished; handed back",
                on: database)
            logger.warning("stopped: handed unfinished jobs back to the queue", metadata: ["jobs": "\(unfinished.count)"])
        } catch {
            logger.error(
                "stopped: could not hand jobs back; the rescuer returns them when their leases expire",
                metadata: ["jobs": "\(unfinished.count)", "error": "\(error)"])
        }
    }

    private func waitForHandlers(seconds: Double) async {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while running.count > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Calls `body` every `seconds` until the task is cancelled.
func repeatEvery(_ seconds: Double, _ body: @Sendable () async -> Void) async {
    while !Task.isCancelled {
        try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        if Task.isCancelled { return }
        await body()
    }
}

/// The jobs a worker holds a lease on.
final class HeldJobs: Sendable {
    private let jobs = Mutex<[Int: Job]>([:])

    func insert(_ new: [Job]) {
        jobs.withLock { jobs in for job in new { jobs[job.id] = job } }
    }

    func remove(_ done: [Job]) {
        jobs.withLock { jobs in for job in done { jobs[job.id] = nil } }
    }

    var all: [Job] { jobs.withLock { Array($0.values) } }
}
