import Hummingbird
import Postgres

/// `/health` (the process serves; no database) and `/ready` (the database answers).
struct ServiceRoutes {
    let database: Database

    func register(on router: Router<AdminContext>, table: RouteTable) {
        table.record(.get, "/health")
        router.get("/health") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "OK")))
        }
        table.record(.get, "/ready")
        router.get("/ready") { _, _ -> Response in
            do {
                try await database.query("SELECT 1")
                return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ready")))
            } catch {
                var unavailable = APIError.serviceUnavailable
                unavailable.headers[.retryAfter] = "1"
                return unavailable.response
            }
        }
    }
}
