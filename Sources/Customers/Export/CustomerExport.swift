import Foundation
import Postgres

/// Every customer a list filter matches, in the list's order, as CSV (API.md "GET /admin/customers/export"),
/// written by PostgreSQL: `COPY (SELECT …) TO STDOUT (FORMAT csv)` through `CopyOutStream`, with the formats
/// and the formula guard in the SELECT, so the rows go from the database to the client as the server wrote
/// them (no row decoded or re-encoded here). Memory stays at a chunk or two however many rows there are, and
/// the next chunk is read while the current one is written out.
///
/// PostgreSQL's CSV is RFC 4180 as `CSVWriter` writes it: a cell quoted when it holds a quote, a comma or a
/// line break, NULL an empty cell and an empty string `""`; only the row ending differs (LF), which the
/// stream turns into CRLF.
///
/// Used by the HTTP route (chunked transfer) and by `clientele export customers` (standard output).
///
/// An actor: the route hands it to the response body's writer, and its state is touched one call at a time.
public actor CustomerExport {
    public static let columns = [
        "id", "email", "first_name", "last_name", "phone", "has_account", "groups", "created_at", "updated_at",
        "metadata",
    ]
    /// Bytes per chunk: large enough that each HTTP write (and each wake-up of the stream's thread) carries
    /// about 800 rows.
    static let chunkSize = 128 * 1024

    private let stream: CopyOutStream
    private var headerWritten = false

    private init(stream: CopyOutStream) { self.stream = stream }

    /// Checks nothing (the route did) and starts the query: a database error before the first row is thrown
    /// here, before any byte of the response has been sent.
    public static func open(_ query: CustomerListQuery, database: Database) async throws -> CustomerExport {
        let stream = try await CopyOutStream.open(
            csvOf: statement(query), on: database, chunkSize: chunkSize, rowEnding: [0x0D, 0x0A],
            // Show the export in pg_stat_activity (inspect.exports).
            settings: [("application_name", "clientele-export/\(ProcessInfo.processInfo.processIdentifier)")])
        return CustomerExport(stream: stream)
    }

    /// The header row with the first rows, then a chunk per call; nil at the end.
    public func nextChunk() async throws -> [UInt8]? {
        guard !headerWritten else { return try await stream.next() }
        headerWritten = true
        var header = Array(Self.columns.joined(separator: ",").utf8) + [0x0D, 0x0A]
        if let first = try await stream.next() { header += first }
        return header
    }

    /// Ends the query and gives its connection back (also after an error, or when the client went away).
    public func close() async { await stream.close() }

    /// The columns of `columns`, in that order, each as the export writes it: `has_account` `true`/`false`,
    /// timestamps as in JSON (`2024-01-01T00:00:00.000Z`, the fraction truncated to milliseconds as
    /// `Timestamp.iso8601Milliseconds` does), `groups` the live member groups' names in name order joined
    /// with `;` (a `;` or `\` inside a name preceded by `\`), `metadata` its JSON, and the formula guard on
    /// every cell that holds text.
    static func statement(_ query: CustomerListQuery) -> SQL {
        """
        SELECT \(unsafeRaw: guarded("c.id")), \(unsafeRaw: guarded("c.email")), \(unsafeRaw: guarded("c.first_name")),
               \(unsafeRaw: guarded("c.last_name")), \(unsafeRaw: guarded("c.phone")),
               CASE WHEN c.has_account THEN 'true' ELSE 'false' END,
               \(unsafeRaw: guarded("member.groups")),
               \(unsafeRaw: apiTimestamp("c.created_at")), \(unsafeRaw: apiTimestamp("c.updated_at")),
               \(unsafeRaw: guarded("c.metadata::text"))
        FROM customer c
        CROSS JOIN LATERAL (
            SELECT string_agg(replace(replace(g.name, '\\', '\\\\'), ';', '\\;'), ';' ORDER BY g.name) AS groups
            FROM customer_group_customers m
            JOIN customer_group g ON g.id = m.customer_group_id AND g.deleted_at IS NULL
            WHERE m.customer_id = c.id
        ) AS member
        WHERE \(query.conditions)
        ORDER BY \(query.orderBy("c"))
        """
    }

    /// The formula guard of `CSVWriter` (OWASP CSV injection) in SQL: a `'` before a text that begins with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return (`ascii` gives its first character's code).
    static func guarded(_ expression: String) -> String {
        let formulaStarts = "61, 43, 45, 64, 9, 13"
        return "CASE WHEN ascii(\(expression)) IN (\(formulaStarts)) THEN '''' || \(expression) ELSE \(expression) END"
    }

    /// A timestamptz as the API writes it (milliseconds truncated, UTC, `Z`).
    static func apiTimestamp(_ expression: String) -> String {
        "to_char(\(expression) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }
}
