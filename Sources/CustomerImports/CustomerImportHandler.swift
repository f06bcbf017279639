import Customers
import Jobs
import Postgres

/// The worker's handler of `customer.import` jobs (args `{"import_id": "cimp_…"}`): runs the import, or
/// resumes it after a crash where its last batch ended. A run that fails is retried with the job's backoff;
/// on the job's last attempt the import is marked failed (API.md's `failed` state).
///
/// Time limit: an attempt works for `workSeconds` (IMPORT_ATTEMPT_SECONDS, 240), then hands the rest of the import to a fresh job
/// (`JobQueue.continueAs`, in the transaction that points the import at it) and ends. So a file of any size
/// goes through as a chain of attempts that each end well within `timeout` (a batch takes seconds), without
/// using up attempts or waiting out backoffs; a batch that commits is never redone.
public struct CustomerImportHandler: JobHandler {
    public static let kind = CustomerImportRepository.jobKind
    public static let defaultWorkSeconds = 240

    let importer: CustomerImporter
    /// Seconds an attempt imports before it hands over to the next job.
    let workSeconds: Double

    public init(importer: CustomerImporter, workSeconds: Int = defaultWorkSeconds) {
        self.importer = importer
        self.workSeconds = Double(workSeconds)
    }

    /// The kind's own limit (instead of JOB_TIMEOUT): the work window and a minute for the batch under way.
    public var timeout: Double? { workSeconds + 60 }

    private struct Arguments: Decodable {
        let import_id: String
    }

    public func run(_ job: Job, context: JobContext) async throws -> JobOutcome {
        guard let id = try? job.args.decode(Arguments.self).import_id else {
            throw PermanentJobError("customer.import needs {\"import_id\": \"cimp_…\"}, got \(job.args.text)")
        }
        do {
            let deadline = ContinuousClock.now + .seconds(workSeconds)
            let finished = try await importer.run(id: id, job: job, until: deadline) { progress in
                context.logger.debug(
                    "import batch committed", metadata: ["import_id": "\(id)", "rows_done": "\(progress.rowsDone)"])
            }
            if finished.state != .completed {
                let next = try await CustomerImportRepository(database: context.database).continueImport(id, after: job)
                context.logger.info(
                    "import continues in a new job",
                    metadata: [
                        "import_id": "\(id)", "rows_done": "\(finished.rowsDone)", "next_job": "\(next.map(String.init) ?? "-")",
                    ])
                return .finalizedByHandler
            }
            context.logger.info(
                "import completed",
                metadata: [
                    "import_id": "\(id)", "rows": "\(finished.rowsTotal)", "created": "\(finished.rowsCreated)",
                    "updated": "\(finished.rowsUpdated)", "skipped": "\(finished.rowsSkipped)",
                    "failed": "\(finished.rowsFailed)",
                ])
            return .completed
        } catch CustomerImportError.notFound {
            throw PermanentJobError("import \(id) does not exist")
        } catch {
            if job.attempt >= job.maxAttempts {
                _ = try? await context.database.query(
                    """
                    UPDATE customer_import SET state = 'failed', updated_at = now()
                    WHERE id = \(id) AND state IN ('queued', 'running')
                    """)
            }
            throw error
        }
    }
}
