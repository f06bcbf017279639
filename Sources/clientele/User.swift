import ArgumentParser
import Auth
import Foundation

/// `clientele user create|list|delete`: admin users, from the command line only (there is no route that
/// creates them). Passwords are never printed or logged; `--password -` reads one from standard input so it
/// stays out of the process list and shell history.
struct User: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage admin users.", subcommands: [Create.self, List.self, Delete.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an admin user.")

        @Option(help: "Login email (stored lower-cased).") var email: String
        @Option(help: "Password, or - to read one line from standard input.") var password: String
        @Option(help: "API token accepted in x-medusa-access-token (only its SHA-256 is stored).") var apiToken: String?
        @Option(help: "Given name.") var firstName: String?
        @Option(help: "Family name.") var lastName: String?

        func run() throws {
            let url = Environment().databaseURL
            LineLogHandler.bootstrap(Environment())
            let password = self.password == "-" ? readPasswordFromStandardInput() : self.password
            let (email, apiToken, firstName, lastName) = (email, apiToken, firstName, lastName)
            do {
                let user = try withDatabase(url: url, command: "user") { database in
                    try await UserRepository(database: database).create(
                        email: email, password: password, apiToken: apiToken, firstName: firstName, lastName: lastName)
                }
                printUser(user, message: "created", text: "user create: created \(user.id) \(user.email)")
            } catch {
                fail("user create: \(oneLine(error))")
            }
        }

        /// One line of standard input without its line ending; an empty line is refused by the repository.
        func readPasswordFromStandardInput() -> String {
            guard let line = readLine(strippingNewline: true) else { fail("user create: no password on standard input") }
            return line.hasSuffix("\r") ? String(line.dropLast()) : line
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List live admin users (tab-separated).")
        static let columns = ["id", "email", "role", "created_at"]

        static func row(_ user: AdminUser) -> [String] {
            [user.id, user.email, user.role, user.createdAt.iso8601Milliseconds]
        }

        func run() throws {
            let url = Environment().databaseURL
            LineLogHandler.bootstrap(Environment())
            do {
                let users = try withDatabase(url: url, command: "user") { database in
                    try await UserRepository(database: database).list()
                }
                // Text: a header and one tab-separated row per user. JSON: one object per user, no header.
                if LineLogHandler.configuredFormat() == .text {
                    CommandOutput.text(Self.columns.joined(separator: "\t"))
                }
                for user in users {
                    printUser(user, message: "user", text: Self.row(user).joined(separator: "\t"))
                }
            } catch {
                fail("user list: \(oneLine(error))")
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an admin user (soft): their sessions, JWTs and API token stop working at once.")

        @Option(help: "Email of the user to delete.") var email: String

        func run() throws {
            let url = Environment().databaseURL
            LineLogHandler.bootstrap(Environment())
            let email = self.email
            do {
                let user = try withDatabase(url: url, command: "user") { database in
                    try await UserRepository(database: database).delete(email: email)
                }
                printUser(user, message: "deleted", text: "user delete: deleted \(user.id) \(user.email)")
            } catch {
                fail("user delete: \(oneLine(error))")
            }
        }
    }
}

/// A user as a command's result: `text`, or under LOG_FORMAT=json a line with the user's id, email, role and
/// created_at (never its password hash or API token).
private func printUser(_ user: AdminUser, message: String, text: String) {
    CommandOutput.result(
        logger: "clientele.user", message: message, fields: Array(zip(User.List.columns, User.List.row(user))), text: text)
}
