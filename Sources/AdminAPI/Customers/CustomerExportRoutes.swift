import Customers
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Postgres

/// `GET /admin/customers/export` (API.md): every customer the list's filters match, as CSV, streamed with
/// chunked transfer. Parameters are checked and the query started before the response begins, so a bad
/// parameter is a 400 and an unavailable database a 503, never a truncated file; an error after the first
/// byte can only cut the transfer short (the chunked encoding then never ends, and clients see the break).
struct CustomerExportRoutes {
    let database: Database

    func register(on routes: inout RouteRegistry) {
        routes.add(.get, "/admin/customers/export", .signedIn) { request, _ in try await export(request) }
    }

    func export(_ request: Request) async throws -> Response {
        let query = try CustomerListParameters.readExport(QueryItems(request.uri.query))
        let export = try await CustomerExport.open(query, database: database)
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"customers-\(Self.today()).csv\""
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                while let chunk = try await export.nextChunk() {
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
            } catch {
                await export.close()
                throw error
            }
            await export.close()
            try await writer.finish(nil)
        })
    }

    /// Today's date in UTC, `YYYY-MM-DD`.
    static func today() -> String { String(Timestamp.now().iso8601Milliseconds.prefix(10)) }
}

/// The export's filters for `clientele export customers`.
public enum CustomerExportFilters {
    /// The export's filters from `key=value` arguments (`clientele export customers q=mar order=-email`), read
    /// by the route's own code: the same keys, the same rules, the same messages (an `InvalidInput`).
    public static func query(arguments: [String]) throws -> CustomerListQuery {
        let pairs = arguments.map { argument -> (key: String, value: String) in
            let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        return try CustomerListParameters.readExport(QueryItems(pairs: pairs))
    }
}
