import ArgumentParser
import Auth
import Foundation
import Postgres

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply sql/migrations in order, once each; then create the first admin from ADMIN_EMAIL and ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE) if set and no admin exists.")

    @Option(help: "Folder of NNNN_name.sql files (env MIGRATIONS_DIR).")
    var dir: String?

    func run() throws {
        let environment = Environment()
        let folder = dir ?? environment.string("MIGRATIONS_DIR") ?? "sql/migrations"
        let url = environment.required("DATABASE_URL")
        let firstAdmin = Self.firstAdmin(environment)
        let options = ConnectionOptions(
            url: url, applicationName: "clientele-migrate/\(getpid())")
        do {
            let migrator = try Migrator(directory: folder)
            let connection = try Connection(options)
            defer { connection.close() }
            let applied = try migrator.migrate(connection)
            print(applied.isEmpty ? "migrate: schema is current" : "migrate: applied \(applied.joined(separator: ", "))")
        } catch {
            fail("migrate: \(oneLine(error))")
        }
        if let (email, password) = firstAdmin {
            createFirstAdmin(url: url, email: email, password: password)
        }
    }

    /// ADMIN_EMAIL and ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE), when both are set (one without the other is a
    /// mistake worth a stop). A password published in Clientele's repository is refused.
    static func firstAdmin(_ environment: Environment) -> (email: String, password: String)? {
        switch (environment.string("ADMIN_EMAIL"), environment.secret("ADMIN_PASSWORD")) {
        case (let email?, let password?): return (email, password)
        case (nil, nil): return nil
        case (_?, nil): fail("ADMIN_PASSWORD is required when ADMIN_EMAIL is set")
        case (nil, _?): fail("ADMIN_EMAIL is required when ADMIN_PASSWORD is set")
        }
    }

    /// Creates the admin unless a live admin exists already (so a restart under compose changes nothing). Two
    /// migrates racing may both see none; the second then meets the duplicate email and says so.
    func createFirstAdmin(url: String, email: String, password: String) {
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
                print("migrate: created admin user \(created.email)")
            } else {
                print("migrate: an admin user exists; ADMIN_EMAIL not used")
            }
        } catch {
            fail("migrate: first admin: \(oneLine(error))")
        }
    }
}
