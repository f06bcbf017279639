import Foundation
import Synchronization

/// Progress of a long command on standard error: a bar redrawn in place when it is a terminal, otherwise a
/// plain line at most every 5 seconds (logs and CI stay readable); under LOG_FORMAT=json, a log line with the
/// figures as fields at the same pace.
final class ProgressReport: Sendable {
    private struct State {
        var lastLine = Date.distantPast
        var finished = false
    }

    let total: Int
    let unit: String
    let started = Date()
    let format = LineLogHandler.configuredFormat()
    let isTerminal: Bool
    private let state = Mutex(State())

    init(total: Int, unit: String) {
        self.total = total
        self.unit = unit
        isTerminal = format == .text && isatty(STDERR_FILENO) == 1
    }

    func update(_ done: Int) {
        let now = Date()
        let line: String? = state.withLock { state in
            if state.finished { return nil }
            if isTerminal { return "\r" + bar(done, now: now) }
            guard now.timeIntervalSince(state.lastLine) >= 5 || done >= total else { return nil }
            state.lastLine = now
            if format == .json { return jsonLine(done, now: now) }
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

    private func jsonLine(_ done: Int, now: Date) -> String {
        let seconds = max(now.timeIntervalSince(started), 0.001)
        return LineLogHandler.line(
            .json, level: .info, label: "clientele.progress", message: summary(done, now: now),
            fields: [
                ("done", "\(done)"), ("total", "\(total)"), ("unit", unit),
                ("per_second", "\(Int(Double(done) / seconds))"),
            ])
    }

    private func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in _ = Glibc.write(STDERR_FILENO, buffer.baseAddress, buffer.count) }
    }
}
