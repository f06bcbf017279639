import Foundation
import Synchronization

/// Progress of a long command on standard error: a bar redrawn in place when it is a terminal, otherwise a
/// plain line at most every 5 seconds (logs and CI stay readable).
final class ProgressReport: Sendable {
    private struct State {
        var lastLine = Date.distantPast
        var finished = false
    }

    let total: Int
    let unit: String
    let started = Date()
    let isTerminal = isatty(STDERR_FILENO) == 1
    private let state = Mutex(State())

    init(total: Int, unit: String) {
        self.total = total
        self.unit = unit
    }

    func update(_ done: Int) {
        let now = Date()
        let line: String? = state.withLock { state in
            if state.finished { return nil }
            if isTerminal { return "\r" + bar(done, now: now) }
            guard now.timeIntervalSince(state.lastLine) >= 5 || done >= total else { return nil }
            state.lastLine = now
            return summary(done, now: now) + "\n"
        }
        if let line { write(line) }
    }

    func finish() {
        let wasFinished = state.withLock { state in defer { state.finished = true }; return state.finished }
        if isTerminal && !wasFinished { write("\n") }
    }

    private func bar(_ done: Int, now: Date) -> String {
        let width = 30
        let filled = total == 0 ? width : min(width, done * width / total)
        return "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
            + summary(done, now: now) + "  "
    }

    private func summary(_ done: Int, now: Date) -> String {
        let seconds = max(now.timeIntervalSince(started), 0.001)
        let percent = total == 0 ? 100 : done * 100 / total
        return "\(percent)% \(done)/\(total) \(unit), \(Int(Double(done) / seconds))/s"
    }

    private func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in _ = Glibc.write(STDERR_FILENO, buffer.baseAddress, buffer.count) }
    }
}
