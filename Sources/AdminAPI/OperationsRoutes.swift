import Hummingbird
import Jobs
import JSON
import Validation

/// `GET /admin/operations` **(beyond)**: the job queue by kind and state, the email deliveries by template
/// and status, and the latest failed attempts with their errors, read from the `inspect` views by
/// `QueueInspection` (Jobs). The admin page's operations view shows it.
struct OperationsRoutes {
    let inspection: QueueInspection

    func register(on routes: inout RouteRegistry) {
        routes.add(.get, "/admin/operations", .signedIn) { request, _ in
            try Validator.rejectAnyQuery(request)
            return Response.json(Self.json(try await inspection.overview()))
        }
    }

    static func json(_ overview: QueueOverview) -> JSONWriter {
        var writer = JSONWriter(capacity: 1024)
        writer.beginObject()
        writer.key("queue")
        writer.beginArray()
        for row in overview.queue {
            writer.beginObject()
            writer.key("kind"); writer.string(row.kind)
            writer.key("state"); writer.string(row.state)
            writer.key("jobs"); writer.int(row.jobs)
            writer.key("oldest_age_seconds"); writer.int(Int(row.oldestAgeSeconds.rounded()))
            writer.key("next_run_at"); writer.string(row.nextRunAt?.iso8601Milliseconds)
            writer.key("max_attempt"); writer.int(row.maxAttempt)
            writer.endObject()
        }
        writer.endArray()
        writer.key("email_deliveries")
        writer.beginArray()
        for row in overview.deliveries {
            writer.beginObject()
            writer.key("template"); writer.string(row.template)
            writer.key("status"); writer.string(row.status)
            writer.key("deliveries"); writer.int(row.deliveries)
            writer.key("attempts"); writer.int(row.attempts)
            writer.key("first_created_at"); writer.string(row.firstCreatedAt.iso8601Milliseconds)
            writer.key("last_sent_at"); writer.string(row.lastSentAt?.iso8601Milliseconds)
            writer.key("latest_error"); writer.string(row.latestError)
            writer.endObject()
        }
        writer.endArray()
        writer.key("failures")
        writer.beginArray()
        for row in overview.failures {
            writer.beginObject()
            writer.key("id"); writer.int(row.id)
            writer.key("kind"); writer.string(row.kind)
            writer.key("state"); writer.string(row.state)
            writer.key("attempt"); writer.int(row.attempt)
            writer.key("max_attempts"); writer.int(row.maxAttempts)
            writer.key("failures"); writer.int(row.failures)
            writer.key("last_error"); writer.string(row.lastError)
            writer.key("last_error_at"); writer.string(row.lastErrorAt?.iso8601Milliseconds)
            writer.key("next_run_at"); writer.string(row.nextRunAt?.iso8601Milliseconds)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer
    }
}
