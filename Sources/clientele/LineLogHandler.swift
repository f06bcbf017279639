import Foundation
import JSON
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

    /// Every access-log line comes through here, once per request, so it is written without a merged
    /// dictionary, interpolated temporaries or a String grown piece by piece: the fields are gathered into
    /// one array, sorted, and their bytes copied into one buffer (README "Performance").
    func log(event: LogEvent) {
        var fields: [(key: String, value: Logger.Metadata.Value)] = []
        fields.reserveCapacity(metadata.count + (event.metadata?.count ?? 0))
        if let extra = event.metadata {
            // The event's own field wins over the logger's of the same name.
            for (key, value) in metadata where extra[key] == nil { fields.append((key, value)) }
            for (key, value) in extra { fields.append((key, value)) }
        } else {
            for (key, value) in metadata { fields.append((key, value)) }
        }
        fields.sort { $0.key < $1.key }
        var line = LogLine(format, level: event.level, label: label, message: event.message.description)
        for field in fields { line.append(key: field.key, value: Self.text(of: field.value)) }
        LogOutput.shared.write(line.finished(), urgent: event.level >= .warning)
    }

    /// One line, with its line end: `time LEVEL label: message key=value…` or a JSON object with `time`,
    /// `level`, `logger`, `message` and then `fields` (all values strings).
    static func line(_ format: Format, level: Logger.Level, label: String, message: String, fields: [(String, String)]) -> String {
        var line = LogLine(format, level: level, label: label, message: message)
        for (key, value) in fields { line.append(key: key, value: value) }
        return String(decoding: line.finished(), as: UTF8.self)
    }

    private static func text(of value: Logger.Metadata.Value) -> String {
        if case .string(let text) = value { return text }
        return value.description
    }

    /// LOG_FORMAT as set, for output written before (or without) `bootstrap`; text when unset or malformed.
    static func configuredFormat(_ environment: Environment = Environment()) -> Format {
        Format(rawValue: formatSetting(environment).lowercased()) ?? .text
    }

    /// LOG_FORMAT as written, `text` when unset.
    private static func formatSetting(_ environment: Environment) -> String { environment.string(.logFormat) ?? "text" }

    static func timestamp() -> String { Timestamp.now().iso8601Milliseconds }
}

/// The bytes of one log line in either format, built in one buffer.
struct LogLine {
    private let format: LineLogHandler.Format
    private var bytes: [UInt8] = []

    init(_ format: LineLogHandler.Format, level: Logger.Level, label: String, message: String) {
        self.format = format
        bytes.reserveCapacity(192 + message.utf8.count)
        switch format {
        case .text:
            append(LineLogHandler.timestamp())
            append(" ")
            append(Self.upperCaseName(level))
            append(" ")
            append(label)
            append(": ")
            append(message)
        case .json:
            append("{\"time\":\"")
            append(LineLogHandler.timestamp())
            append("\",\"level\":")
            appendQuoted(level.rawValue)
            append(",\"logger\":")
            appendQuoted(label)
            append(",\"message\":")
            appendQuoted(message)
        }
    }

    mutating func append(key: String, value: String) {
        switch format {
        case .text:
            append(" ")
            append(key)
            append("=")
            append(value)
        case .json:
            append(",")
            appendQuoted(key)
            append(":")
            appendQuoted(value)
        }
    }

    /// The line with its end.
    consuming func finished() -> [UInt8] {
        if format == .json { append("}") }
        append("\n")
        return bytes
    }

    /// Through the string's own contiguous storage: `append(contentsOf: text.utf8)` goes byte by byte.
    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private mutating func appendQuoted(_ text: String) { JSONWriter.appendQuoted(text, to: &bytes) }

    private static func upperCaseName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .notice: "NOTICE"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
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

    func write(_ line: [UInt8], urgent: Bool) {
        lock.lock()
        defer { lock.unlock() }
        buffer.append(contentsOf: line)
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
