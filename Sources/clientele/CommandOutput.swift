import Foundation
import Logging

/// Where every command writes what (README, "Output of the commands"):
/// - standard error carries log lines: status, progress, warnings and errors, formatted by `LineLogHandler`
///   (`LOG_FORMAT`), including the one line of a command that stops (`fail`) and of a command line that does
///   not parse;
/// - standard output carries a command's result and nothing else: the users of `user list`, the user that
///   `user create` made or `user delete` deleted, the summary of `seed`, the verdict of `worker --check`. As
///   text it reads as before; under `LOG_FORMAT=json` each result line is a JSON object with the log lines'
///   fields (`time`, `level`, `logger`, `message`) plus the result's own, so both streams parse line by line.
enum CommandOutput {
    /// Writes one result line to standard output: `text` or, under LOG_FORMAT=json, `message` with `fields`.
    static func result(logger label: String, message: String, fields: [(String, String)], text: String) {
        let line: String
        switch LineLogHandler.configuredFormat() {
        case .text: line = text + "\n"
        case .json: line = LineLogHandler.line(.json, level: .info, label: label, message: message, fields: fields)
        }
        write(line, to: STDOUT_FILENO)
    }

    /// A line of text on standard output, whatever the format (a table's header in text mode).
    static func text(_ text: String) {
        write(text + "\n", to: STDOUT_FILENO)
    }

    /// The line of a command that stops: `clientele: <message>` or a JSON error line, on standard error.
    static func error(_ message: String) {
        let line: String
        switch LineLogHandler.configuredFormat() {
        case .text: line = "clientele: \(message)\n"
        case .json: line = LineLogHandler.line(.json, level: .error, label: "clientele", message: message, fields: [])
        }
        LogOutput.shared.flush()
        write(line, to: STDERR_FILENO)
    }

    /// Whole lines with write(2): nothing is left in a stdio buffer when the process exits or forks.
    private static func write(_ line: String, to descriptor: Int32) {
        let bytes = Array(line.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result <= 0 { break }
            written += result
        }
    }
}
