import Foundation
import Logging
import Postgres

/// One log line per event on standard error, as text or (LOG_FORMAT=json) as one JSON object a line (see
/// `CommandOutput` for what goes to standard output).
/// Whole lines are written with single write(2) calls, so lines of concurrent threads and processes never
/// mix (see `LogOutput` for the buffering of HTTP workers).
struct LineLogHandler: LogHandler {
    enum Format: String { case text, json }

    let label: String
    let format: Format
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Reads LOG_LEVEL and LOG_FORMAT and installs the handler for the process. Call once per process,
    /// before any thread starts (the `serve` master calls it before it forks).
    static func bootstrap(_ environment: Environment) {
        let levelText = environment.string(.logLevel) ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            fail("LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical, got \"\(levelText)\"")
        }
        let formatText = formatSetting(environment)
        guard let format = Format(rawValue: formatText.lowercased()) else {
            fail("LOG_FORMAT must be text or json, got \"\(formatText)\"")
        }
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, format: format, logLevel: level) }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        let line = Self.line(
            format, level: event.level, label: label, message: "\(event.message)",
            fields: fields.keys.sorted().map { ($0, "\(fields[$0]!)") })
        LogOutput.shared.write(line, urgent: event.level >= .warning)
    }

    /// One line, with its line end: `time LEVEL label: message key=value…` or a JSON object with `time`,
    /// `level`, `logger`, `message` and then `fields` (all values strings).
    static func line(_ format: Format, level: Logger.Level, label: String, message: String, fields: [(String, String)]) -> String {
        let timestamp = Self.timestamp()
        var line: String
        switch format {
        case .text:
            line = "\(timestamp) \(level.rawValue.uppercased()) \(label): \(message)"
            for (key, value) in fields { line += " \(key)=\(value)" }
        case .json:
            line = "{\"time\":\(quote(timestamp)),\"level\":\(quote(level.rawValue)),\"logger\":\(quote(label)),\"message\":\(quote(message))"
            for (key, value) in fields { line += ",\(quote(key)):\(quote(value))" }
            line += "}"
        }
        return line + "\n"
    }

    /// LOG_FORMAT as set, for output written before (or without) `bootstrap`; text when unset or malformed.
    static func configuredFormat(_ environment: Environment = Environment()) -> Format {
        Format(rawValue: formatSetting(environment).lowercased()) ?? .text
    }

    /// LOG_FORMAT as written, `text` when unset.
    private static func formatSetting(_ environment: Environment) -> String { environment.string(.logFormat) ?? "text" }

    static func timestamp() -> String { Timestamp.now().iso8601Milliseconds }

    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// Where log lines go. Unbuffered by default (the `serve` master, one-shot commands). An HTTP worker turns
/// buffering on after fork: lines below warning (the access log) are collected and written every 100 ms or
/// every 32 KiB, which took a write(2) per request off the hot path (a quarter of a worker's time under
/// load). Warnings and errors flush at once, and so does a normal exit; a worker killed with -9 loses at most
/// the last 100 ms of its access log.
// @unchecked: every field is read and written under `lock`.
final class LogOutput: @unchecked Sendable {
    static let shared = LogOutput()
    private let lock = NSLock()
    private var buffer: [UInt8] = []
    private var buffering = false

    func write(_ line: String, urgent: Bool) {
        lock.lock()
        defer { lock.unlock() }
        buffer.append(contentsOf: line.utf8)
        if urgent || !buffering || buffer.count >= 32 * 1024 { flushLocked() }
    }

    func flush() {
        lock.lock()
        flushLocked()
        lock.unlock()
    }

    private func flushLocked() {
        var written = 0
        while written < buffer.count {
            let result = buffer.withUnsafeBytes { bytes in
                Glibc.write(STDERR_FILENO, bytes.baseAddress! + written, bytes.count - written)
            }
            if result <= 0 { break }
            written += result
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Starts the flushing thread; call after fork, in the process that logs a lot.
    func startBuffering() {
        lock.lock()
        buffering = true
        lock.unlock()
        atexit { LogOutput.shared.flush() }
        let thread = Thread {
            while true {
                Thread.sleep(forTimeInterval: 0.1)
                LogOutput.shared.flush()
            }
        }
        thread.name = "log-flush"
        thread.start()
    }
}
