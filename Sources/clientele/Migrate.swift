import ArgumentParser
import Foundation
import Postgres

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply sql/migrations in order, once each.")

    @Option(help: "Folder of NNNN_name.sql files (env MIGRATIONS_DIR).")
    var dir: String?

    func run() throws {
        let environment = Environment()
        let folder = dir ?? environment.string("MIGRATIONS_DIR") ?? "sql/migrations"
        let options = ConnectionOptions(
            url: environment.required("DATABASE_URL"), applicationName: "clientele-migrate/\(getpid())")
        do {
            let migrator = try Migrator(directory: folder)
            let connection = try Connection(options)
            defer { connection.close() }
            let applied = try migrator.migrate(connection)
            print(applied.isEmpty ? "migrate: schema is current" : "migrate: applied \(applied.joined(separator: ", "))")
        } catch {
            fail("migrate: \(error)")
        }
    }
}
