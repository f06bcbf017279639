import ArgumentParser
import Auth
import Foundation
import Logging
import Postgres
import SQLMigrations

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the migrations (sql/migrations, built into the binary) in order, once each; then create the first admin from ADMIN_EMAIL and ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE) if set and no admin exists.")

    @Option(help: "Apply the NNNN_name.sql files of this folder instead of the built-in ones (env MIGRATIONS_DIR).")
    var dir: String?

    func run() throws {
        let environment = Environment()
        let url = environment.databaseURL
        let folder = dir ?? environment.string(.migrationsDir)
        let firstAdmin = Self.firstAdmin(environment)
        LineLogHandler.bootstrap(environment)
        let logger = Logger(label: "clientele.migrate")
        let options = ConnectionOptions(
            url: url, applicationName: "clientele-migrate/\(getpid())")
        do {
            // The files compiled in, unless a folder is named: `migrate` then works from any folder.
            let migrator = try folder.map { try Migrator(directory: $0) } ?? Migrator(files: SQLMigrations.files)
            let connection = try Connection(options)
            defer { connection.close() }
            let applied = try migrator.migrate(connection)
            logger.info(
                applied.isEmpty ? "schema is current" : "applied \(applied.joined(separator: ", "))",
                metadata: ["migrations": "\(folder ?? "built-in")"])
        } catch {
            fail("migrate: \(oneLine(error))")
        }
        if let (email, password) = firstAdmin {
            createFirstAdmin(url: url, email: email, password: password, logger: logger)
        }
    }

    /// ADMIN_EMAIL and ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE), when both are set (one without the other is a
    /// mistake worth a stop). A password published in Clientele's repository is refused.
    static func firstAdmin(_ environment: Environment) -> (email: String, password: String)? {
        switch (environment.adminEmail, environment.secret(.adminPassword)) {
        case (let email?, let password?): return (email, password)
        case (nil, nil): return nil
        case (_?, nil): fail("ADMIN_PASSWORD is required when ADMIN_EMAIL is set")
        case (nil, _?): fail("ADMIN_EMAIL is required when ADMIN_PASSWORD is set")
        }
    }

    /// Creates the admin unless a live admin exists already (so a restart under compose changes nothing). Two
    /// migrates racing may both see none; the second then meets the duplicate email and says so.
    func createFirstAdmin(url: String, email: String, password: String, logger: Logger) {
        do {
            let created = try withDatabase(url: url, command: "migrate") { database -> AdminUser? in
                let users = UserRepository(database: database)
                if try await users.hasLiveAdmin() { return nil }
                do {
                    return try await users.create(email: email, password: password)
                } catch UserRepository.Failure.duplicateEmail {
                    return nil
                }
            }
            if let created {
                logger.info("created admin user \(created.email)")
            } else {
                logger.info("an admin user exists; ADMIN_EMAIL not used")
            }
        } catch {
            fail("migrate: first admin: \(oneLine(error))")
        }
    }
}
