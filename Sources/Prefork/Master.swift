import CShims
import Glibc
import Logging

/// The `serve` master: owns the listening sockets, forks the workers and supervises them, in the tradition
/// of nginx, Unicorn and gunicorn. It never starts a thread (children are forked from it at any time, and a
/// fork of a threaded process can only exec), and its loop never blocks for more than a tenth of a second.
///
/// Signals (gunicorn's meanings): TERM graceful stop; INT and QUIT fast stop; HUP rolling restart of every
/// worker; TTIN one worker more; TTOU one fewer. CHLD wakes the loop to reap.
public final class Master {
    private let configuration: PreforkConfiguration
    private let workerMain: (WorkerContext) -> Int32
    private var logger: Logger
    private let scoreboard = Scoreboard()
    private let pid = getpid()

    private struct Slot {
        var socket: Int32
        /// The worker serving this slot, if any.
        var worker: Int32?
        /// When a dead worker may be replaced (growing delay for workers that die right after start).
        var respawnAt: UInt64 = 0
        var quickDeaths = 0
        /// Being removed (TTOU): no replacement; the socket closes when its worker has gone.
        var retiring = false
    }

    private struct Worker {
        let slot: Int
        let scoreboardIndex: Int
        let startedAt: UInt64
        /// Set once the worker was told to stop; it is then no longer its slot's worker.
        var stoppingSince: UInt64?
    }

    private enum Phase {
        case running
        case stopping(deadline: UInt64)
    }

    /// Where the rolling restart of `rollingRestart.first` stands.
    private enum RollingStep {
        case stopOldWorker
        case awaitListenerClosed(old: Int32, entry: Int, since: UInt64)
        case awaitReplacement
    }

    private var slots: [Slot] = []
    private var workers: [Int32: Worker] = [:]
    private var freeScoreboardEntries = Array((0..<Scoreboard.capacity).reversed())
    private var phase = Phase.running
    /// Slots still to be restarted by a rolling restart, in order; the first is in progress.
    private var rollingRestart: [Int] = []
    private var rollingStep = RollingStep.stopOldWorker
    private var boundPort = 0

    public init(configuration: PreforkConfiguration, logger: Logger, workerMain: @escaping (WorkerContext) -> Int32) {
        self.configuration = configuration
        self.logger = logger
        self.workerMain = workerMain
        self.logger[metadataKey: "pid"] = "\(getpid())"
    }

    /// Runs until stopped; returns the exit status for the process.
    public func run() -> Int32 {
        var signals = Self.handledSignals()
        // Blocked, then read synchronously with sigtimedwait: no handler runs at an arbitrary point.
        sigprocmask(SIG_BLOCK, &signals, nil)
        do {
            try ListeningSocket.ensureFree(host: configuration.host, port: configuration.port)
            for _ in 0..<max(1, configuration.workers) { try addSlot() }
        } catch {
            logger.critical("\(error)")
            return 1
        }
        let niced = SchedulingGroup.lowerOwnSession(nice: configuration.sessionNice)
        logger.info(
            "listening",
            metadata: [
                "address": "\(configuration.host):\(boundPort)", "workers": "\(slots.count)",
                "session_nice": "\(niced ? configuration.sessionNice : 0)",
            ])

        while true {
            var info = siginfo_t()
            var timeout = timespec(tv_sec: 0, tv_nsec: 100_000_000)
            let signal = sigtimedwait(&signals, &info, &timeout)
            if signal > 0 { handle(signal) }
            reapChildren()
            if case .stopping(let deadline) = phase {
                if workers.isEmpty { break }
                if monotonicNanoseconds() > deadline {
                    logger.warning("workers still running after the graceful timeout; killing them")
                    for pid in workers.keys { kill(pid, SIGKILL) }
                    phase = .stopping(deadline: UInt64.max)
                }
                continue
            }
            checkHeartbeats()
            advanceRollingRestart()
            respawnMissingWorkers()
        }
        for slot in slots where slot.socket >= 0 { close(slot.socket) }
        logger.info("stopped")
        return 0
    }

    static func handledSignals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGTTIN, SIGTTOU, SIGCHLD] { sigaddset(&set, signal) }
        return set
    }

    // MARK: Signals

    private func handle(_ signal: Int32) {
        switch signal {
        case SIGTERM:
            logger.info("TERM: graceful stop")
            stopAll(with: SIGTERM, within: configuration.gracefulTimeout + 5)
        case SIGINT, SIGQUIT:
            logger.info("\(signal == SIGINT ? "INT" : "QUIT"): fast stop")
            stopAll(with: SIGQUIT, within: 5)
        case SIGHUP:
            logger.info("HUP: rolling restart of \(slots.count) workers")
            rollingRestart = Array(slots.indices.filter { !slots[$0].retiring })
            rollingStep = .stopOldWorker
        case SIGTTIN:
            do {
                try addSlot()
                logger.info("TTIN: \(activeSlotCount) workers")
            } catch {
                logger.error("TTIN: \(error)")
            }
        case SIGTTOU:
            if let index = slots.indices.last(where: { !slots[$0].retiring }), activeSlotCount > 1 {
                slots[index].retiring = true
                rollingRestart.removeAll { $0 == index }
                // The master lets go of the socket first: it then closes the moment its worker stops
                // accepting, so the kernel sends new connections to the other slots at once. (Connections
                // still queued on a closing socket are reset unless net.ipv4.tcp_migrate_req=1 moves them.)
                retire(index)
                if let worker = slots[index].worker { stop(worker, with: SIGTERM) }
                logger.info("TTOU: \(activeSlotCount) workers")
            }
        default:
            break
        }
    }

    private var activeSlotCount: Int { slots.filter { !$0.retiring }.count }

    private func stopAll(with signal: Int32, within seconds: Int) {
        if case .stopping = phase, signal == SIGTERM { return }
        phase = .stopping(deadline: monotonicNanoseconds() + UInt64(seconds) * 1_000_000_000)
        let now = monotonicNanoseconds()
        for pid in Array(workers.keys) {
            if workers[pid]?.stoppingSince == nil { workers[pid]?.stoppingSince = now }
            kill(pid, signal)
        }
    }

    private func stop(_ pid: Int32, with signal: Int32) {
        guard var worker = workers[pid] else { return }
        worker.stoppingSince = monotonicNanoseconds()
        workers[pid] = worker
        if slots[worker.slot].worker == pid { slots[worker.slot].worker = nil }
        kill(pid, signal)
    }

    // MARK: Slots and workers

    private func addSlot() throws {
        let socket = try ListeningSocket.open(host: configuration.host, port: boundPort == 0 ? configuration.port : boundPort)
        if boundPort == 0 { boundPort = ListeningSocket.boundPort(of: socket) }
        slots.append(Slot(socket: socket))
        spawn(into: slots.count - 1)
    }

    private func spawn(into slotIndex: Int) {
        guard let entryIndex = freeScoreboardEntries.popLast() else {
            logger.error("no free scoreboard entry; not starting a worker")
            return
        }
        let entry = scoreboard.entry(entryIndex)
        entry.reset(pid: 0)
        // Buffered output would be written twice, once by each process.
        fflush(nil)
        let child = fork()
        if child == 0 {
            exit(runWorker(slotIndex: slotIndex, entryIndex: entryIndex, entry: entry))
        }
        if child < 0 {
            logger.error("fork failed: \(String(cString: strerror(errno)))")
            freeScoreboardEntries.append(entryIndex)
            slots[slotIndex].respawnAt = monotonicNanoseconds() + 1_000_000_000
            return
        }
        workers[child] = Worker(slot: slotIndex, scoreboardIndex: entryIndex, startedAt: monotonicNanoseconds())
        slots[slotIndex].worker = child
        logger.debug("started worker", metadata: ["worker": "\(child)", "slot": "\(slotIndex)"])
    }

    /// In the child, right after fork.
    private func runWorker(slotIndex: Int, entryIndex: Int, entry: ScoreboardEntry) -> Int32 {
        // Undo the master's signal set-up: the worker handles its own signals.
        var empty = sigset_t()
        sigemptyset(&empty)
        sigprocmask(SIG_SETMASK, &empty, nil)
        // A worker whose master died stops by itself (and the check closes the race with an early death).
        _ = cshims_set_parent_death_signal(SIGTERM)
        if getppid() != pid { return 0 }
        for (index, slot) in slots.enumerated() where index != slotIndex { close(slot.socket) }
        let jitter = configuration.maxRequestsJitter > 0 ? Int.random(in: 0...configuration.maxRequestsJitter) : 0
        let context = WorkerContext(
            index: entryIndex, listeningSocket: slots[slotIndex].socket, scoreboard: entry, masterPID: pid,
            gracefulTimeout: configuration.gracefulTimeout,
            maxRequests: configuration.maxRequests > 0 ? configuration.maxRequests + jitter : 0)
        return workerMain(context)
    }

    private func reapChildren() {
        while true {
            var status: Int32 = 0
            let child = waitpid(-1, &status, WNOHANG)
            if child <= 0 { return }
            guard let worker = workers.removeValue(forKey: child) else { continue }
            configuration.onWorkerExit?(worker.scoreboardIndex)
            freeScoreboardEntries.append(worker.scoreboardIndex)
            let exitDescription = Self.describe(status)
            let slotIndex = worker.slot
            if slots[slotIndex].worker == child { slots[slotIndex].worker = nil }
            if worker.stoppingSince != nil {
                logger.debug("worker stopped", metadata: ["worker": "\(child)", "status": "\(exitDescription)"])
            } else if case .running = phase, status == 0 {
                // A worker that stops by itself with status 0 was recycled (MAX_REQUESTS): replace it now.
                slots[slotIndex].respawnAt = 0
                logger.info("worker recycled", metadata: ["worker": "\(child)"])
            } else if case .running = phase {
                let now = monotonicNanoseconds()
                let lived = now - worker.startedAt
                if lived < 5_000_000_000 {
                    slots[slotIndex].quickDeaths += 1
                } else {
                    slots[slotIndex].quickDeaths = 0
                }
                // 0, 0.1, 0.2, 0.4, ... up to 10 s when a worker keeps dying right after start.
                let deaths = slots[slotIndex].quickDeaths
                let delay: UInt64 = deaths <= 1 ? 0 : min(10_000_000_000, 100_000_000 << UInt64(min(deaths - 2, 10)))
                slots[slotIndex].respawnAt = now + delay
                logger.warning(
                    "worker died; replacing it",
                    metadata: ["worker": "\(child)", "status": "\(exitDescription)", "delay_ms": "\(delay / 1_000_000)"])
            }
            removeRetiredSlots()
        }
    }

    private func retire(_ slotIndex: Int) {
        guard slots[slotIndex].socket >= 0 else { return }
        close(slots[slotIndex].socket)
        slots[slotIndex].socket = -1
    }

    /// Slots are not renumbered while workers refer to them; retired slots at the end go once their
    /// workers are gone, so TTIN after TTOU reuses their place.
    private func removeRetiredSlots() {
        while let last = slots.last, last.retiring, !workers.values.contains(where: { $0.slot == slots.count - 1 }) {
            slots.removeLast()
        }
    }

    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exit \((status >> 8) & 0xff)" }
        return "signal \(signal)"
    }

    private func respawnMissingWorkers() {
        let now = monotonicNanoseconds()
        for index in slots.indices where !slots[index].retiring && slots[index].worker == nil {
            // A slot being restarted gets its new worker from the rolling restart, once the old one is gone.
            if rollingRestart.first == index { continue }
            if now >= slots[index].respawnAt { spawn(into: index) }
        }
    }

    /// A worker that has not beaten for `workerTimeout` seconds (a hung event loop, SIGSTOP) is killed; its
    /// slot's socket, kept open here, holds the connections queued for it until the replacement takes them.
    private func checkHeartbeats() {
        let now = monotonicNanoseconds()
        let limit = UInt64(configuration.workerTimeout) * 1_000_000_000
        for (pid, worker) in workers {
            let last = scoreboard.entry(worker.scoreboardIndex).lastHeartbeat
            if now > last && now - last > limit {
                logger.error("worker stopped answering; killing it", metadata: ["worker": "\(pid)"])
                kill(pid, SIGKILL)
                // Not again before it is reaped (next turn of the loop).
                scoreboard.entry(worker.scoreboardIndex).beat()
            }
        }
    }

    /// One slot at a time: stop its worker gracefully (it stops accepting at once and finishes its requests),
    /// start the replacement on the same socket once the old worker has closed its listener, and move on
    /// once the replacement serves. Connections that arrive in between wait in the socket's queue; none is
    /// refused. Two processes never accept on one socket: when both were woken for one connection, the
    /// loser's accept found nothing, which debug builds of SwiftNIO trap on (a crash in a HUP test, 1 run
    /// in 6).
    private func advanceRollingRestart() {
        guard let slotIndex = rollingRestart.first else { return }
        if slots[slotIndex].retiring {
            rollingRestart.removeFirst()
            rollingStep = .stopOldWorker
            return
        }
        switch rollingStep {
        case .stopOldWorker:
            guard let old = slots[slotIndex].worker, let entry = workers[old]?.scoreboardIndex else {
                spawn(into: slotIndex)
                rollingStep = .awaitReplacement
                return
            }
            stop(old, with: SIGTERM)
            rollingStep = .awaitListenerClosed(old: old, entry: entry, since: monotonicNanoseconds())
        case .awaitListenerClosed(let old, let entry, let since):
            // An old worker that does not close its listener within a second (hung: the watchdog will
            // kill it) does not hold up the restart.
            let closed = workers[old] == nil || scoreboard.entry(entry).isListenerClosed
            guard closed || monotonicNanoseconds() - since > 1_000_000_000 else { return }
            spawn(into: slotIndex)
            rollingStep = .awaitReplacement
        case .awaitReplacement:
            guard let replacement = slots[slotIndex].worker, let worker = workers[replacement] else {
                // The replacement died; respawn and keep waiting.
                if monotonicNanoseconds() >= slots[slotIndex].respawnAt { spawn(into: slotIndex) }
                return
            }
            if scoreboard.entry(worker.scoreboardIndex).isReady {
                rollingRestart.removeFirst()
                rollingStep = .stopOldWorker
                if rollingRestart.isEmpty { logger.info("rolling restart done") }
            }
        }
    }
}
