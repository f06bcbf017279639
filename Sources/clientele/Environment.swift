import Foundation

/// Settings from the environment. A missing or malformed value stops the process with one line naming it.
struct Environment {
    let values: [String: String]

    init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    func string(_ setting: Setting) -> String? {
        guard let value = values[setting.rawValue], !value.isEmpty else { return nil }
        return value
    }

    func required(_ setting: Setting) -> String {
        guard let value = string(setting) else { fail("\(setting.rawValue) is required but not set") }
        return value
    }

    /// A secret setting: NAME, or the contents of the file NAME_FILE names (as Docker secrets provide them, like
    /// the official postgres image's POSTGRES_PASSWORD_FILE), never both. A value Clientele's repository
    /// publishes (PublishedSecrets) is refused, so a copied example or default never guards a deployment; the
    /// message names the variable, never the value.
    func secret(_ setting: Setting) -> String? {
        guard let file = setting.fileVariant else { preconditionFailure("\(setting.rawValue) has no _FILE setting") }
        let name = setting.rawValue, fileName = file.rawValue
        let value: String
        switch (string(setting), string(file)) {
        case (nil, nil): return nil
        case (_?, _?): fail("\(name) and \(fileName) are both set; set one of them")
        case (let given?, nil): value = given
        case (nil, let path?):
            switch SecretFile.read(path) {
            case .value(let contents): value = contents
            case .missing: fail("\(fileName): \(path) does not exist")
            case .unreadable(let reason): fail("\(fileName): cannot read \(path): \(reason)")
            }
            guard !value.isEmpty else { fail("\(fileName): \(path) is empty") }
        }
        if PublishedSecrets.contains(value) {
            fail("\(name) is a value published in Clientele's repository (a default, example or test value); "
                + "set a secret of your own")
        }
        return value
    }

    func requiredSecret(_ setting: Setting) -> String {
        guard let value = secret(setting) else { fail("\(setting.rawValue) is required but not set") }
        return value
    }

    func int(_ setting: Setting, default defaultValue: Int, range: ClosedRange<Int> = 0...Int.max) -> Int {
        guard let text = string(setting) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            fail("\(setting.rawValue) must be a whole number in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    func bool(_ setting: Setting, default defaultValue: Bool) -> Bool {
        guard let text = string(setting)?.lowercased() else { return defaultValue }
        switch text {
        case "1", "true", "on", "yes": return true
        case "0", "false", "off", "no": return false
        default: fail("\(setting.rawValue) must be true or false (on/off), got \"\(text)\"")
        }
    }
}

/// Prints one line to standard error (as LOG_FORMAT says) and exits with status 1 (a configuration or usage error).
func fail(_ message: String) -> Never {
    CommandOutput.error(message)
    exit(1)
}
