import ArgumentParser
import Foundation
import Postgres
import Seeding

struct Seed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Insert fake customers (with groups, memberships and addresses) straight into the tables; sends no welcome emails.")

    @Option(help: "How many customers.") var customers: Int
    @Option(help: "Customers per INSERT statement.") var batchSize: Int = 25_000
    @Option(help: "Statements running at once, each on its own connection.") var parallel: Int = 2

    func run() throws {
        let url = Environment().databaseURL
        LineLogHandler.bootstrap(Environment())
        guard customers >= 1 else { fail("--customers must be at least 1") }
        guard (1...1_000_000).contains(batchSize) else { fail("--batch-size must be in 1...1000000") }
        guard (1...32).contains(parallel) else { fail("--parallel must be in 1...32") }
        var settings = CustomerSeeder.Options(customers: customers)
        settings.batchSize = batchSize
        settings.parallelism = parallel
        let options = settings
        let progress = ProgressReport(total: customers, unit: "customers")
        let started = Date()
        do {
            let summary = try withDatabase(url: url, command: "seed", connections: parallel) { database in
                try await CustomerSeeder(database: database, options: options).run { progress.update($0) }
            }
            progress.finish()
            let seconds = Date().timeIntervalSince(started)
            let rate = Int(Double(summary.customers) / max(seconds, 0.001))
            let duration = String(format: "%.1f", seconds)
            CommandOutput.result(
                logger: "clientele.seed", message: "seeded",
                fields: [
                    ("customers", "\(summary.customers)"), ("addresses", "\(summary.addresses)"),
                    ("memberships", "\(summary.memberships)"), ("groups", "\(summary.groups)"), ("seconds", duration),
                    ("customers_per_second", "\(rate)"),
                ],
                text: "seed: \(summary.customers) customers, \(summary.addresses) addresses, \(summary.memberships) group memberships "
                    + "(\(summary.groups) groups) in \(duration) s, \(rate) customers/s")
        } catch {
            progress.finish()
            fail("seed: \(oneLine(error))")
        }
    }
}
