import CSV
import Foundation
import Postgres

/// Every customer a list filter matches, in the list's order, as CSV (API.md "GET /admin/customers/export"),
/// produced chunk by chunk through a server-side cursor: memory stays constant however many rows there are,
/// and the database reads the next batch while the current one is written out.
///
/// Used by the HTTP route (chunked transfer) and by `clientele export customers` (standard output).
///
/// An actor: the route hands it to the response body's writer, and its state is touched one call at a time.
public actor CustomerExport {
    public static let columns = [
        "id", "email", "first_name", "last_name", "phone", "has_account", "groups", "created_at", "updated_at",
        "metadata",
    ]
    /// Rows per FETCH, and so per chunk (about 150 KiB of CSV).
    static let batchSize = 1000

    private let cursor: RowCursor
    private var headerWritten = false

    private init(cursor: RowCursor) { self.cursor = cursor }

    /// Checks nothing (the route did) and starts the query: a database error is thrown here, before any
    /// byte of the response has been sent.
    public static func open(_ query: CustomerListQuery, database: Database) async throws -> CustomerExport {
        let cursor = try await RowCursor.open(
            statement(query), on: database, batchSize: batchSize,
            // Every row is read, so plan for all of them (a cursor's default plans for the first tenth), and
            // show the export in pg_stat_activity (inspect.exports).
            settings: [
                ("cursor_tuple_fraction", "1"),
                ("application_name", "clientele-export/\(ProcessInfo.processInfo.processIdentifier)"),
            ])
        return CustomerExport(cursor: cursor)
    }

    /// The header row with the first batch, then a batch per call; nil at the end.
    public func nextChunk() async throws -> [UInt8]? {
        var writer = CSVWriter(capacity: headerWritten ? 160 * Self.batchSize : 160 * Self.batchSize + 128)
        if !headerWritten {
            headerWritten = true
            for column in Self.columns { writer.cell(column) }
            writer.endRecord()
        }
        guard let batch = try await cursor.next() else { return writer.bytes.isEmpty ? nil : writer.bytes }
        for row in 0..<batch.rowCount { Self.write(row: row, of: batch, into: &writer) }
        return writer.bytes
    }

    /// Ends the query and gives its connection back (also after an error, or when the client went away).
    public func close() async { await cursor.close() }

    /// The columns of `columns`, in that order. `groups` is made here: the live member groups' names in name
    /// order, joined with `;`, a `;` or `\` inside a name preceded by `\`.
    static func statement(_ query: CustomerListQuery) -> SQL {
        """
        SELECT c.id, c.email, c.first_name, c.last_name, c.phone, c.has_account,
               (SELECT string_agg(replace(replace(g.name, '\\', '\\\\'), ';', '\\;'), ';' ORDER BY g.name)
                FROM customer_group_customers m
                JOIN customer_group g ON g.id = m.customer_group_id AND g.deleted_at IS NULL
                WHERE m.customer_id = c.id) AS groups,
               c.created_at, c.updated_at, c.metadata
        FROM customer c
        WHERE \(query.conditions)
        ORDER BY \(query.orderBy("c"))
        """
    }

    private static func write(row: Int, of result: QueryResult, into writer: inout CSVWriter) {
        for column in 0..<5 { writer.cell(result.bytes(row: row, column: column)) }
        writer.plainCell(result.bytes(row: row, column: 5)?.first == UInt8(ascii: "t") ? "true" : "false")
        writer.cell(result.bytes(row: row, column: 6))
        for column in 7...8 {
            if let text = result.bytes(row: row, column: column) {
                writer.plainCell(APITimestamp.reshape(text))
            } else {
                writer.cell(nil as UnsafeRawBufferPointer?)
            }
        }
        writer.cell(result.bytes(row: row, column: 9))
        writer.endRecord()
    }
}

/// Timestamps as the API writes them (`2024-01-01T00:00:00.000Z`) from PostgreSQL's text.
enum APITimestamp {
    /// Our connections run with TimeZone UTC and DateStyle ISO, so timestamptz prints as
    /// `YYYY-MM-DD HH:MM:SS[.ffffff]+00`: reshaped byte by byte (the fraction truncated to milliseconds, as
    /// `Timestamp.iso8601Milliseconds` does). Anything else takes the long way through `Timestamp`.
    static func reshape(_ text: UnsafeRawBufferPointer) -> [UInt8] {
        let count = text.count
        if count >= 22, text[10] == UInt8(ascii: " "), text[count - 3] == UInt8(ascii: "+"),
            text[count - 2] == UInt8(ascii: "0"), text[count - 1] == UInt8(ascii: "0"), text[4] == UInt8(ascii: "-")
        {
            var out = [UInt8](repeating: UInt8(ascii: "0"), count: 24)
            for index in 0..<10 { out[index] = text[index] }
            out[10] = UInt8(ascii: "T")
            for index in 11..<19 { out[index] = text[index] }
            out[19] = UInt8(ascii: ".")
            // The fraction, if any, runs from offset 20 to the offset.
            if text[19] == UInt8(ascii: ".") {
                for index in 0..<min(3, count - 3 - 20) { out[20 + index] = text[20 + index] }
            }
            out[23] = UInt8(ascii: "Z")
            return out
        }
        let string = String(decoding: text, as: UTF8.self)
        return Array((Timestamp(parsing: string)?.iso8601Milliseconds ?? string).utf8)
    }
}
