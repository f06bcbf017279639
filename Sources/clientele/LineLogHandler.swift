import Foundation
import Logging

/// One log line per event on standard error, as text or (LOG_FORMAT=json) as one JSON object a line.
/// Each line is written with a single write(2), so lines of concurrent threads and processes never mix.
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
        let levelText = environment.string("LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            fail("LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical, got \"\(levelText)\"")
        }
        let formatText = environment.string("LOG_FORMAT") ?? "text"
        guard let format = Format(rawValue: formatText.lowercased()) else {
            fail("LOG_FORMAT must be text or json, got \"\(formatText)\"")
        }
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, format: format, logLevel: level) }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        let timestamp = Self.timestamp()
        var line: String
        switch format {
        case .text:
            line = "\(timestamp) \(event.level.rawValue.uppercased()) \(label): \(event.message)"
            for key in fields.keys.sorted() { line += " \(key)=\(fields[key]!)" }
        case .json:
            line = "{\"time\":\(Self.quote(timestamp)),\"level\":\(Self.quote(event.level.rawValue)),\"logger\":\(Self.quote(label)),\"message\":\(Self.quote("\(event.message)"))"
            for key in fields.keys.sorted() { line += ",\(Self.quote(key)):\(Self.quote("\(fields[key]!)"))" }
            line += "}"
        }
        line += "\n"
        line.withUTF8 { buffer in _ = write(STDERR_FILENO, buffer.baseAddress, buffer.count) }
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, now.tv_nsec / 1_000_000)
    }

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
