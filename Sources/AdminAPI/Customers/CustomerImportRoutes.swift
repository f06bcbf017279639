import CSV
import CustomerImports
import Customers
import HTTPTypes
import Hummingbird
import JSON
import NIOCore
import Postgres
import Validation

/// `/admin/customers/imports` (API.md "Imports"): upload a CSV file to import, read an import's progress,
/// list imports, and download an import's failed rows.
struct CustomerImportRoutes {
    let imports: CustomerImportRepository
    let database: Database
    /// IMPORT_MAX_BYTES: larger files are answered 413.
    let maxBytes: Int

    /// Media types taken as CSV. A form or JSON body is refused with a message, not read as a file.
    static let csvMediaTypes: Set<String> = ["text/csv", "application/csv", "text/plain", "application/octet-stream"]

    func register(on routes: inout RouteRegistry) {
        routes.add(.post, "/admin/customers/imports", .signedIn, bodyLimit: maxBytes) { request, _ in
            try await upload(request)
        }
        routes.add(.get, "/admin/customers/imports", .signedIn) { request, _ in try await list(request) }
        routes.add(.get, "/admin/customers/imports/:id", .signedIn) { request, context in
            let id = try context.parameters.require("id")
            try Validator.rejectAnyQuery(request)
            guard let found = try await imports.find(id: id) else { throw Self.notFound(id) }
            return Self.respond(found, status: .ok)
        }
        routes.add(.get, "/admin/customers/imports/:id/errors", .signedIn) { request, context in
            try await errors(request, id: context.parameters.require("id"))
        }
    }

    /// Checks the query and the media type, then stages the body as it arrives; 202 with the queued import.
    func upload(_ request: Request) async throws -> Response {
        let items = QueryItems(request.uri.query)
        var validator = Validator()
        validator.rejectUnknown(items.items.map(\.key), allowed: ["on_conflict", "welcome_email"])
        var options = ImportOptions()
        if let onConflict = items.value("on_conflict") {
            if let value = ImportConflict(rawValue: onConflict) {
                options.onConflict = value
            } else {
                validator.add("on_conflict must be one of skip, update")
            }
        }
        if let welcome = items.value("welcome_email") {
            switch welcome {
            case "true": options.welcomeEmail = true
            case "false": options.welcomeEmail = false
            default: validator.add("welcome_email must be a boolean value")
            }
        }
        if let contentType = request.headers[.contentType] {
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingSpaces.lowercased() } ?? ""
            if !Self.csvMediaTypes.contains(mediaType) { validator.add("the body must be a CSV file (Content-Type: text/csv)") }
        }
        try validator.finish()
        let maxBytes = self.maxBytes
        let (staged, _) = try await imports.stage(options) { upload in
            for try await buffer in request.body {
                guard upload.size + buffer.readableBytes <= maxBytes else { throw APIError.payloadTooLarge(limit: maxBytes) }
                try await upload.append(buffer.readableBytesView)
            }
        }
        return Self.respond(staged, status: .accepted)
    }

    func list(_ request: Request) async throws -> Response {
        let items = QueryItems(request.uri.query)
        var validator = Validator()
        validator.rejectUnknown(items.items.map(\.key), allowed: ["limit", "offset"])
        let (limit, offset) = validator.readPage(items)
        try validator.finish()
        let (page, count) = try await imports.list(limit: limit, offset: offset)
        return .page("imports", page, count: count, offset: offset, limit: limit, bytesPerItem: 512) {
            Self.write($0, into: &$1)
        }
    }

    /// Every failed row as CSV (`line,email,message`), streamed like the export.
    func errors(_ request: Request, id: String) async throws -> Response {
        try Validator.rejectAnyQuery(request)
        guard let cursor = try await imports.openErrors(id: id) else { throw Self.notFound(id) }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"customer-import-\(id)-errors.csv\""
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                var csv = CSVWriter(capacity: 1024)
                for name in ["line", "email", "message"] { csv.cell(name) }
                csv.endRecord()
                try await writer.write(ByteBuffer(bytes: csv.take()))
                while let batch = try await cursor.next() {
                    for row in 0..<batch.rowCount {
                        for column in 0..<3 { csv.cell(batch.bytes(row: row, column: column)) }
                        csv.endRecord()
                    }
                    try await writer.write(ByteBuffer(bytes: csv.take()))
                }
            } catch {
                await cursor.close()
                throw error
            }
            await cursor.close()
            try await writer.finish(nil)
        })
    }

    static func notFound(_ id: String) -> APIError { .notFound("Import with id: \(id) was not found") }

    static func respond(_ imported: CustomerImport, status: HTTPResponse.Status) -> Response {
        var writer = JSONWriter(capacity: 1024)
        writer.beginObject()
        writer.key("import")
        write(imported, into: &writer)
        writer.endObject()
        return .json(writer, status: status)
    }

    /// The import object of API.md.
    static func write(_ imported: CustomerImport, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id"); writer.string(imported.id)
        writer.key("state"); writer.string(imported.state.rawValue)
        writer.key("rows_total"); writer.int(imported.rowsTotal)
        writer.key("rows_done"); writer.int(imported.rowsDone)
        writer.key("rows_created"); writer.int(imported.rowsCreated)
        writer.key("rows_updated"); writer.int(imported.rowsUpdated)
        writer.key("rows_skipped"); writer.int(imported.rowsSkipped)
        writer.key("rows_failed"); writer.int(imported.rowsFailed)
        writer.key("errors")
        writer.beginArray()
        for error in imported.errors {
            writer.beginObject()
            writer.key("line"); writer.int(error.line)
            writer.key("message"); writer.string(error.message)
            writer.endObject()
        }
        writer.endArray()
        writer.key("on_conflict"); writer.string(imported.options.onConflict.rawValue)
        writer.key("welcome_email"); writer.bool(imported.options.welcomeEmail)
        writer.key("created_at"); writer.string(imported.createdAt.iso8601Milliseconds)
        writer.key("updated_at"); writer.string(imported.updatedAt.iso8601Milliseconds)
        writer.key("completed_at"); writer.string(imported.completedAt?.iso8601Milliseconds)
        writer.endObject()
    }
}
