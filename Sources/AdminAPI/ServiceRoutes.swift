import Hummingbird
import Jobs
import Postgres

/// `/health` (the process serves; no database), `/ready` (the database answers) and `/metrics`
/// (Prometheus text: the totals of every worker process, and the queue's state).
struct ServiceRoutes {
    let database: Database
    let metrics: HTTPMetrics
    /// Seconds the queue's count may take on a scrape before it is cancelled and left out.
    static let jobCountTimeout = 2.0

    func register(on routes: inout RouteRegistry) {
        routes.add(.get, "/health", .open) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "OK")))
        }
        routes.add(.get, "/ready", .open) { _, _ -> Response in
            guard await database.answers() else {
                var unavailable = APIError.serviceUnavailable
                unavailable.headers[.retryAfter] = "1"
                return unavailable.response
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ready")))
        }
        routes.add(.get, "/metrics", .open) { _, context -> Response in
            // The queue's state needs the database (a leased connection, a deadline of its own); without it
            // the scrape still answers, without those lines.
            let jobs = (try? await JobQueue.countByState(on: database, timeout: Self.jobCountTimeout)) ?? []
            let text = metrics.exposition(routes: context.endpoints.all.map { ("\($0.method)", $0.path) }, jobs: jobs)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        routes.add(.get, "/openapi.json", .open) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }
}
