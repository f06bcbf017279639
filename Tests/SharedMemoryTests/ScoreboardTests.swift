import CShims
import Glibc
import Testing

@testable import Prefork

/// The scoreboard on its real shared mapping: the parent plays the master (reset, read) and forked children the
/// workers (ready, requests, heartbeat, listener closed), as `Master` and `WorkerServer` use it.
@Suite struct ScoreboardTests {
    let scoreboard = Scoreboard()

    @Test func aNewScoreboardHasNoWorkerInAnyEntry() {
        for index in [0, 1, Scoreboard.capacity - 1] {
            let entry = scoreboard.entry(index)
            #expect(!entry.isReady)
            #expect(!entry.isListenerClosed)
            #expect(entry.requests == 0)
            #expect(entry.lastHeartbeat == 0)
        }
    }

    @Test func theMasterSeesAWorkerBecomeReadyWhileTheWorkerRuns() {
        let entry = scoreboard.entry(3)
        entry.reset(pid: 0)
        // The worker marks itself ready, then serves until the master stops it.
        let worker = ForkedChild {
            let entry = scoreboard.entry(3)
            entry.markReady()
            while true { pause() }
        }
        #expect(waitUntil { entry.isReady })
        #expect(!entry.isListenerClosed)
        #expect(worker.stop() == .killed(signal: SIGKILL))
        #expect(!scoreboard.entry(2).isReady)
        #expect(!scoreboard.entry(4).isReady)
    }

    @Test func aWorkersRequestsHeartbeatAndClosedListenerReachTheMaster() {
        let entry = scoreboard.entry(7)
        entry.reset(pid: 0)
        let resetAt = entry.lastHeartbeat
        let worker = ForkedChild {
            let entry = scoreboard.entry(7)
            entry.markReady()
            for expected in UInt64(1)...5 {
                guard entry.countRequest() == expected else { return 1 }
            }
            entry.beat()
            entry.markListenerClosed()
            return 0
        }
        #expect(worker.outcome() == .exited(0))
        let after = monotonicNanoseconds()
        #expect(entry.isReady)
        #expect(entry.requests == 5)
        #expect(entry.isListenerClosed)
        // One clock for every process: the worker's beat lies between the master's reset and now.
        #expect(entry.lastHeartbeat > resetAt)
        #expect(entry.lastHeartbeat <= after)
        #expect(scoreboard.entry(6).requests == 0 && scoreboard.entry(8).requests == 0)
    }

    @Test func requestsCountedByManyProcessesAtOnceAreAllCounted() {
        // A worker's event loops count concurrently; here processes do, on one entry.
        let entry = scoreboard.entry(0)
        entry.reset(pid: 0)
        let start = scoreboard.entry(1)
        let workers = (0..<3).map { _ in
            ForkedChild {
                guard waitUntil({ start.isReady }) else { return 1 }
                for _ in 0..<20_000 { _ = entry.countRequest() }
                return 0
            }
        }
        start.markReady()
        for worker in workers { #expect(worker.outcome() == .exited(0)) }
        #expect(entry.requests == 60_000)
        #expect(entry.countRequest() == 60_001)
    }

    @Test func resettingAnEntryForTheNextWorkerClearsWhatTheLastOneLeft() {
        let entry = scoreboard.entry(Scoreboard.capacity - 1)
        let worker = ForkedChild {
            let entry = scoreboard.entry(Scoreboard.capacity - 1)
            entry.markReady()
            _ = entry.countRequest()
            entry.markListenerClosed()
            return 0
        }
        #expect(worker.outcome() == .exited(0))
        #expect(entry.isReady && entry.isListenerClosed && entry.requests == 1)

        let before = monotonicNanoseconds()
        entry.reset(pid: 1234)
        #expect(!entry.isReady)
        #expect(!entry.isListenerClosed)
        #expect(entry.requests == 0)
        // A fresh heartbeat, so the master does not take the new worker for a hung one before its first beat.
        #expect(entry.lastHeartbeat >= before && entry.lastHeartbeat <= monotonicNanoseconds())
    }

    @Test func anEntryPastTheCapacityIsRefused() {
        let child = ForkedChild {
            trapQuietly()
            scoreboard.entry(Scoreboard.capacity).markReady()
            return 0
        }
        let outcome = child.outcome()
        #expect(outcome == .killed(signal: SIGILL) || outcome == .killed(signal: SIGTRAP), "\(outcome)")
    }
}
