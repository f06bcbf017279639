import Hummingbird
import Postgres

/// `/health` (the process serves; no database), `/ready` (the database answers) and `/metrics`
/// (Prometheus text: the totals of every worker process, and the queue's state).
struct ServiceRoutes {
    let database: Database
    let metrics: HTTPMetrics

    func register(on router: Router<AdminContext>, table: RouteTable) {
        table.add(.get, "/health", on: router) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "OK")))
        }
        table.add(.get, "/ready", on: router) { _, _ -> Response in
            do {
                try await database.query("SELECT 1")
                return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ready")))
            } catch {
                var unavailable = APIError.serviceUnavailable
                unavailable.headers[.retryAfter] = "1"
                return unavailable.response
            }
        }
        table.add(.get, "/metrics", on: router) { _, _ -> Response in
            // The queue's state needs the database; without it the scrape still answers, without those lines.
            let rows = try? await database.query("SELECT state, count(*) FROM job GROUP BY state ORDER BY state")
            let jobs = (try? rows?.rows.map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }) ?? []
            let text = metrics.exposition(routes: table.routes.map { ("\($0.method)", $0.path) }, jobs: jobs)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        table.add(.get, "/openapi.json", on: router) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }
}
