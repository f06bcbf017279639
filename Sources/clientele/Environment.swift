import Foundation

/// Settings from the environment. A missing or malformed value stops the process with one line naming it.
struct Environment {
    let values: [String: String]

    init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    func string(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    func required(_ name: String) -> String {
        guard let value = string(name) else { fail("\(name) is required but not set") }
        return value
    }

    func int(_ name: String, default defaultValue: Int, range: ClosedRange<Int> = 0...Int.max) -> Int {
        guard let text = string(name) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            fail("\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    func bool(_ name: String, default defaultValue: Bool) -> Bool {
        guard let text = string(name)?.lowercased() else { return defaultValue }
        switch text {
        case "1", "true", "on", "yes": return true
        case "0", "false", "off", "no": return false
        default: fail("\(name) must be true or false (on/off), got \"\(text)\"")
        }
    }
}

/// Prints one line to standard error (as LOG_FORMAT says) and exits with status 1 (a configuration or usage error).
func fail(_ message: String) -> Never {
    CommandOutput.error(message)
    exit(1)
}
