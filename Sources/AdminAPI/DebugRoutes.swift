import Foundation
import Hummingbird
import JSON
import Postgres

/// Routes for tests only, enabled by DEBUG_ROUTES=on: `GET /debug/sleep?ms=N` answers after N
/// milliseconds (at most a minute), so tests can hold a request in flight across a signal;
/// `GET /debug/db-sleep?seconds=N&path=leased|pipelined` runs `pg_sleep(N)` (at most an hour) on that
/// path, so tests can watch the statement timeout and a client's departure end it on the server;
/// `GET /debug/blocking` shows this process's blocking pool (its pid, the cores it counts, threads, hashing
/// slots and the most password hashes that ran at once, in the process and on the machine), so tests can check
/// the bounds across the workers of `serve`;
/// `GET /debug/routes` lists every route of the router (to check the OpenAPI document against it);
/// `GET /debug/customers/:id` is `GET /admin/customers/:id` without authentication, the baseline of the
/// authentication benchmark (scripts/bench-auth.sh). Never turn these on in production.
struct DebugRoutes {
    let customers: CustomerRoutes
    let database: Database

    func register(on routes: inout RouteRegistry) {
        routes.add(.get, "/debug/sleep", .open) { request, _ -> Response in
            let milliseconds = min(60_000, max(0, request.uri.queryParameters["ms"].flatMap { Int(String($0)) } ?? 0))
            try await Task.sleep(for: .milliseconds(milliseconds))
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "slept \(milliseconds)")))
        }
        routes.add(.get, "/debug/db-sleep", .open) { request, _ -> Response in
            let query = request.uri.queryParameters
            guard let seconds = query["seconds"].flatMap({ Double(String($0)) }), (0...3600).contains(seconds),
                let path = Database.Path(rawValue: query["path"].map(String.init) ?? "leased")
            else { throw APIError.invalidData("seconds must be 0...3600 and path leased or pipelined") }
            try await database.sleepOnServer(seconds: seconds, path: path)
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "slept \(seconds) s on the \(path) path")))
        }
        routes.add(.get, "/debug/blocking", .open) { [database] _, _ in
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("pid"); writer.int(Int(getpid()))
            writer.key("cores"); writer.int(ProcessInfo.processInfo.activeProcessorCount)
            writer.key("threads"); writer.int(database.blocking.threads)
            writer.key("hashing_slots"); writer.int(database.blocking.hashingSlots)
            writer.key("most_hashes_at_once"); writer.int(database.blocking.mostHashesAtOnce)
            // The machine-wide bound of `serve` (null elsewhere): its slots, those free now, the most hashes
            // this process saw running on the machine when one of its own started, the kernel's id of the set.
            let machine = database.blocking.machineHashing
            let machineFigures: [(StaticString, Int?)] = [
                ("machine_hashing_slots", machine?.slots), ("machine_hashing_free", machine?.freeSlots),
                ("most_machine_hashes_at_once", machine?.mostHashesAtOnce),
                ("machine_hashing_semaphore_set", machine.map { Int($0.semaphoreSet) }),
            ]
            for (key, value) in machineFigures {
                writer.key(key)
                if let value { writer.int(value) } else { writer.null() }
            }
            writer.endObject()
            return Response.json(writer)
        }
        routes.add(.get, "/debug/routes", .open) { _, context in
            var writer = JSONWriter()
            writer.beginArray()
            for route in context.endpoints.all {
                writer.beginObject()
                writer.key("method"); writer.string("\(route.method)")
                writer.key("path"); writer.string(route.path)
                writer.endObject()
            }
            writer.endArray()
            return Response.json(writer)
        }
        routes.add(.get, "/debug/customers/:id", .open) { request, context in
            try await customers.retrieve(request, id: context.parameters.require("id"))
        }
    }
}
