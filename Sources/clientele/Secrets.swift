import ArgumentParser
import Foundation
import Logging

/// `clientele secrets`: the deployment's secrets, one file each in a folder that only their owner reads. Under
/// compose this is the one-shot `secrets` service, run before anything else on every `up`: its volume is
/// mounted at /secrets, read by postgres (POSTGRES_PASSWORD_FILE), migrate (ADMIN_PASSWORD_FILE), serve
/// (JWT_SECRET_FILE) and every process's libpq (PGPASSFILE), so that a deployment without a .env runs with
/// secrets of its own, never with values anyone can read in this repository.
struct Secrets: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep JWT_SECRET, ADMIN_PASSWORD and POSTGRES_PASSWORD as files in a folder.",
        discussion: """
            For each: a value set in the environment (or its *_FILE) replaces the file's; else an existing file \
            is kept; else a new random value is written, and a new admin password is printed this once (the \
            command's result, on standard output; what it did goes to standard error). Also writes pgpass, a \
            libpq password file holding POSTGRES_PASSWORD (point PGPASSFILE at it).
            """)

    @Option(help: "Folder of the secret files (env SECRETS_DIR, default /secrets).") var dir: String?

    /// Each secret's file, and the length of a generated one (letters and digits: 5.95 bits each).
    static let kept: [(setting: Setting, file: String, length: Int)] = [
        (.jwtSecret, "jwt_secret", 64),
        (.adminPassword, "admin_password", 24),
        (.postgresPassword, "postgres_password", 32),
    ]

    func run() throws {
        let environment = Environment()
        let folder = dir ?? environment.string(.secretsDir) ?? "/secrets"
        LineLogHandler.bootstrap(environment)
        let logger = Logger(label: "clientele.secrets")
        if mkdir(folder, 0o700) != 0 && errno != EEXIST {
            fail("secrets: cannot create \(folder): \(String(cString: strerror(errno)))")
        }
        var generated: [String] = [], fromEnvironment: [String] = [], unchanged: [String] = []
        var values: [String: String] = [:]
        for secret in Self.kept {
            let name = secret.setting.rawValue
            let path = "\(folder)/\(secret.file)"
            let stored = SecretFile.read(path)
            if case .unreadable(let reason) = stored { fail("secrets: cannot read \(path): \(reason)") }
            if let given = environment.secret(secret.setting) {
                if stored != .value(given) {
                    SecretFile.write(given, to: path)
                    fromEnvironment.append(name)
                } else {
                    unchanged.append(name)
                }
                values[name] = given
            } else if case .value(let kept) = stored, !kept.isEmpty {
                if PublishedSecrets.contains(kept) {
                    fail("secrets: \(path) holds a value published in Clientele's repository; delete the file "
                        + "or set \(name)")
                }
                unchanged.append(name)
                values[name] = kept
            } else {
                let new = Self.randomSecret(length: secret.length)
                SecretFile.write(new, to: path)
                generated.append(name)
                values[name] = new
            }
        }
        // libpq's password file: any host, port, database and user (the folder is the deployment's own).
        SecretFile.write("*:*:*:*:" + Self.pgpassEscaped(values["POSTGRES_PASSWORD"]!), to: "\(folder)/pgpass")

        if !generated.isEmpty { logger.info("generated \(generated.joined(separator: ", ")) in \(folder)") }
        if !fromEnvironment.isEmpty {
            logger.info("\(fromEnvironment.joined(separator: ", ")) set from the environment into \(folder)")
        }
        if !unchanged.isEmpty { logger.info("kept \(unchanged.joined(separator: ", ")) in \(folder)") }
        if fromEnvironment.contains("POSTGRES_PASSWORD") {
            let why = "PostgreSQL reads POSTGRES_PASSWORD only when it creates its data directory"
            logger.notice("\(why); an existing database keeps its password until ALTER ROLE (README, Deployment)")
        }
        if generated.contains("ADMIN_PASSWORD") {
            let email = environment.adminEmail
            let password = values["ADMIN_PASSWORD"]!
            CommandOutput.result(
                logger: "clientele.secrets", message: "first admin login",
                fields: [("email", email ?? ""), ("password", password), ("file", "\(folder)/admin_password")],
                text: "secrets: first admin login: \(email.map { "\($0) / " } ?? "")\(password)"
                    + "   (printed this once; kept in \(folder)/admin_password)")
        }
    }

    /// Letters and digits from the system's cryptographic generator (getrandom), uniformly chosen: safe to
    /// paste into a URL, a shell or a pgpass line.
    static func randomSecret(length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// A pgpass field: backslash and colon escaped with a backslash.
    static func pgpassEscaped(_ field: String) -> String {
        field.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
    }
}
