import ArgumentParser
import CustomerImports
import Customers
import Foundation
import Jobs
import Logging
import Passwords
import Postgres

/// `clientele import customers file.csv`: what POST /admin/customers/imports and the worker do, run here by
/// the same code, with a progress bar. The import's job is created already claimed by this command (so no
/// worker takes it meanwhile) and its lease renewed while it runs: if the command dies, the lease runs out
/// and a worker finishes the import from its last batch.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import data from a CSV file.", subcommands: [Customers.self])

    struct Customers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import customers from a CSV file (as POST /admin/customers/imports), with a progress bar.")

        @Argument(help: "The CSV file (- for standard input).") var file: String
        @Option(help: "A row whose email belongs to a live customer: skip or update.") var onConflict = "skip"
        @Flag(help: "Send the welcome email to each customer the import creates.") var welcomeEmail = false
        @Option(help: "Rows per batch and transaction (env IMPORT_BATCH_SIZE, default 1000).") var batchSize: Int?

        static let lease = 30.0

        func run() throws {
            let environment = Environment()
            let url = environment.databaseURL
            LineLogHandler.bootstrap(environment)
            guard let conflict = ImportConflict(rawValue: onConflict) else { fail("--on-conflict must be skip or update") }
            let batch = batchSize ?? environment.importBatchSize
            guard (1...100_000).contains(batch) else { fail("--batch-size must be in 1...100000") }
            let hasher = PasswordHasherSetting.read(environment)
            guard let input = file == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: file) else {
                fail("import customers: cannot read \(file)")
            }
            let options = ImportOptions(onConflict: conflict, welcomeEmail: welcomeEmail)
            let runner = "clientele-import/\(ProcessInfo.processInfo.hostName)/\(getpid())"
            let started = Date()
            do {
                let finished = try withDatabase(url: url, command: "import") { database in
                    let (staged, job) = try await CustomerImportRepository(database: database).stage(
                        options, claimedBy: (runner, Self.lease)
                    ) { upload in
                        while let bytes = try input.read(upToCount: 1 << 20), !bytes.isEmpty {
                            try await upload.append(bytes)
                        }
                    }
                    Logger(label: "clientele.import").info(
                        "import staged", metadata: ["import_id": "\(staged.id)", "rows": "\(staged.rowsTotal)"])
                    return try await Self.runClaimed(staged, job: job!, database: database,
                        hashing: PasswordHashing(hasher: hasher, blocking: database.blocking), batchSize: batch)
                }
                Self.report(finished, seconds: Date().timeIntervalSince(started))
            } catch {
                fail("import customers: \(oneLine(error))")
            }
        }

        /// The result on standard output: the counts, then the first ten failed rows.
        static func report(_ finished: CustomerImport, seconds: Double) {
            let duration = String(format: "%.1f", seconds)
            CommandOutput.result(
                logger: "clientele.import", message: "imported",
                fields: [
                    ("import_id", finished.id), ("state", finished.state.rawValue), ("rows", "\(finished.rowsTotal)"),
                    ("created", "\(finished.rowsCreated)"), ("updated", "\(finished.rowsUpdated)"),
                    ("skipped", "\(finished.rowsSkipped)"), ("failed", "\(finished.rowsFailed)"), ("seconds", duration),
                ],
                text: "import customers: \(finished.id) \(finished.state.rawValue): \(finished.rowsCreated) created, "
                    + "\(finished.rowsUpdated) updated, \(finished.rowsSkipped) skipped, \(finished.rowsFailed) failed "
                    + "of \(finished.rowsTotal) rows in \(duration) s")
            for error in finished.errors.prefix(10) {
                CommandOutput.result(
                    logger: "clientele.import", message: "row failed",
                    fields: [("line", "\(error.line)"), ("message", error.message)],
                    text: "  line \(error.line): \(error.message)")
            }
            if finished.rowsFailed > 10, LineLogHandler.configuredFormat() == .text {
                CommandOutput.text("  … every failed row: GET /admin/customers/imports/\(finished.id)/errors")
            }
        }

        /// Runs the import whose job this command holds, renewing the lease meanwhile; completes the job at the
        /// end, or hands it to the workers (failed attempt, retried with backoff) when the run fails.
        static func runClaimed(
            _ staged: CustomerImport, job: Job, database: Database, hashing: PasswordHashing, batchSize: Int
        ) async throws -> CustomerImport {
            let progress = ProgressReport(total: staged.rowsTotal, unit: "rows")
            let renewal = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(lease / 3))
                    try? await JobQueue.renewLeases([job], lease: lease, on: database)
                }
            }
            defer {
                renewal.cancel()
                progress.finish()
            }
            do {
                let finished = try await CustomerImporter(database: database, hashing: hashing, batchSize: batchSize)
                    .run(id: staged.id, job: job) { progress.update($0.rowsDone) }
                try await JobQueue.complete([job], on: database)
                return finished
            } catch {
                _ = try? await JobQueue.fail(job, error: "clientele import stopped: \(error)", on: database)
                throw error
            }
        }
    }
}

extension Environment {
    /// IMPORT_BATCH_SIZE: rows an import writes per transaction (`worker`, `clientele import`).
    var importBatchSize: Int { int(.importBatchSize, default: CustomerImporter.defaultBatchSize, range: 1...100_000) }
}
