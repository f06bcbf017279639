import CShims
import Glibc
import Testing

/// A second process for a test of shared memory: fork(), run `body` in the child, `_exit` with what it returns.
///
/// The test process has other threads (the test runner's), and the child inherits whatever locks they held, so
/// `body` must only read and write mappings made before the fork and call plain system calls: no allocation, no
/// print, no Swift runtime lock. What it found is its exit status.
struct ForkedChild {
    enum Outcome: Equatable {
        case exited(Int32)
        case killed(signal: Int32)
        case stillRunning
    }

    let pid: pid_t

    init(_ body: () -> Int32) {
        let pid = fork()
        precondition(pid >= 0, "fork failed: \(errno)")
        if pid == 0 { _exit(body()) }
        self.pid = pid
    }

    /// Waits at most `seconds` for the child to end; a child still running then is killed and reaped.
    func outcome(within seconds: Double = 60) -> Outcome {
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        var status: Int32 = 0
        while monotonicNanoseconds() < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return Self.decode(status) }
            precondition(reaped == 0, "waitpid failed: \(errno)")
            usleep(1_000)
        }
        stop()
        return .stillRunning
    }

    /// Kills the child and reaps it (for a child that waits for ever by design).
    @discardableResult
    func stop() -> Outcome {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        return Self.decode(status)
    }

    /// WIFEXITED and WTERMSIG are macros, which Swift does not import.
    private static func decode(_ status: Int32) -> Outcome {
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .killed(signal: signal)
    }
}

/// Waits at most `seconds` for `condition` (in the test process, or in a child: it only polls and sleeps).
func waitUntil(seconds: Double = 30, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
    while !condition() {
        if monotonicNanoseconds() >= deadline { return false }
        usleep(200)
    }
    return true
}

/// In a child that is meant to stop at a precondition: the trap just ends it, without the Swift runtime's crash
/// report (seconds of backtrace on the test log for a crash the test asked for) or its message.
func trapQuietly() {
    signal(SIGILL, SIG_DFL)
    signal(SIGTRAP, SIG_DFL)
    dup2(open("/dev/null", O_WRONLY), STDERR_FILENO)
}
