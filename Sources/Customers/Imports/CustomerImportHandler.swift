import Jobs
import Postgres

/// The worker's handler of `customer.import` jobs (args `{"import_id": "cimp_…"}`): runs the import, or
/// resumes it after a crash where its last batch ended. A run that fails is retried with the job's backoff;
/// on the job's last attempt the import is marked failed (API.md's `failed` state).
public struct CustomerImportHandler: JobHandler {
    public static let kind = CustomerImportRepository.jobKind

    let importer: CustomerImporter

    public init(importer: CustomerImporter) {
        self.importer = importer
    }

    private struct Arguments: Decodable {
        let import_id: String
    }

    public func run(_ job: Job, context: JobContext) async throws -> JobOutcome {
        guard let id = try? job.args.decode(Arguments.self).import_id else {
            throw PermanentJobError("customer.import needs {\"import_id\": \"cimp_…\"}, got \(job.args.text)")
        }
        do {
            let finished = try await importer.run(id: id, job: job) { progress in
                context.logger.debug(
                    "import batch committed", metadata: ["import_id": "\(id)", "rows_done": "\(progress.rowsDone)"])
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
