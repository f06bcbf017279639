import CSV
import Customers
import Identifiers
import Jobs
import Postgres
import Validation

/// An uploaded import file on its way into the database. Its bytes are checked as they arrive: the header
/// (known columns, each once, `email` among them) and every record's structure (UTF-8, quotes, as many cells
/// as the header). Whole records are kept in chunks of about 1 MiB (`customer_import_chunk`), each with the
/// line and row it starts at, so the worker can start reading at any row. It all happens in one transaction
/// (`CustomerImportRepository.stage`): a malformed file is refused with its line number and leaves nothing.
///
/// The rows themselves are checked by the worker, as it imports them.
///
/// Not Sendable: it writes on the transaction's leased connection, which belongs to the task that leased it.
public final class ImportUpload {
    /// Bytes of records per stored chunk (a record is never split; one larger record makes a larger chunk).
    static let chunkBytes = 1 << 20

    public let id = makeID(prefix: "cimp")
    let options: ImportOptions
    private let connection: LeasedConnection
    private var reader = CSVReader()
    /// Received and not yet read: the start of a record that continues in the next bytes.
    private var pending: [UInt8] = []
    private var isStart = true
    private(set) var columns: [ImportColumn]?
    private var chunk: [UInt8] = []
    private var chunkFirstLine = 0
    private var chunkFirstRow = 0
    private var chunkRows = 0
    private var chunkCount = 0
    /// Data rows (records after the header) so far.
    private(set) var rows = 0
    /// Bytes received so far.
    public private(set) var size = 0

    init(options: ImportOptions, connection: LeasedConnection) {
        self.options = options
        self.connection = connection
    }

    /// The next bytes of the file.
    public func append(_ bytes: some Sequence<UInt8>) async throws {
        let before = pending.count
        pending.append(contentsOf: bytes)
        size += pending.count - before
        if isStart {
            // A UTF-8 byte order mark (as spreadsheets write it) is not part of the header.
            if pending.count < CSVReader.byteOrderMark.count && CSVReader.byteOrderMark.starts(with: pending) { return }
            if pending.starts(with: CSVReader.byteOrderMark) { pending.removeFirst(CSVReader.byteOrderMark.count) }
            isStart = false
        }
        try await read(isFinal: false)
    }

    /// The end of the file: the last record, the last chunk.
    func finish() async throws {
        if isStart, pending.starts(with: CSVReader.byteOrderMark) { pending.removeFirst(CSVReader.byteOrderMark.count) }
        isStart = false
        try await read(isFinal: true)
        if columns == nil { throw Self.malformed(line: 1, "the file is empty; a header row is required") }
        try await flushChunk()
    }

    /// Reads every complete record in `pending`, keeps their bytes in the chunk, and drops them from `pending`.
    private func read(isFinal: Bool) async throws {
        var offset = 0
        defer { if offset > 0 { pending.removeFirst(offset) } }
        while true {
            let step: CSVReader.Step
            do {
                step = try pending.withUnsafeBytes { try reader.next($0, from: offset, isFinal: isFinal) }
            } catch let error as CSVReadError {
                throw Self.malformed(line: error.line, error.reason)
            }
            switch step {
            case .needMore, .end:
                return
            case .blank(let end):
                // Kept inside a chunk, so that the worker counts the same lines; not before its first record,
                // whose line the chunk records.
                if chunkRows > 0 { chunk.append(contentsOf: pending[offset..<end]) }
                offset = end
            case .record(let record, let end):
                if let columns {
                    guard record.cells.count == columns.count else {
                        throw Self.malformed(
                            line: record.line, "the row has \(record.cells.count) cells, the header has \(columns.count)")
                    }
                    if chunkRows == 0 {
                        chunkFirstLine = record.line
                        chunkFirstRow = rows
                    }
                    chunk.append(contentsOf: pending[offset..<end])
                    chunkRows += 1
                    rows += 1
                    if chunk.count >= Self.chunkBytes { try await flushChunk() }
                } else {
                    columns = try Self.header(record)
                    try await CustomerImportRepository.insert(self, on: connection)
                }
                offset = end
            }
        }
    }

    private func flushChunk() async throws {
        guard chunkRows > 0 else { return }
        // Whole records that passed the UTF-8 check: the text is what the file had.
        let text = String(decoding: chunk, as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO customer_import_chunk (import_id, seq, first_line, first_row, row_count, data)
            VALUES (\(id), \(chunkCount), \(chunkFirstLine), \(chunkFirstRow), \(chunkRows), \(text))
            """)
        chunkCount += 1
        chunkRows = 0
        chunk.removeAll(keepingCapacity: true)
    }

    /// A malformed file: `line N: …`, as API.md words it (the API answers 400 `invalid_data`).
    static func malformed(line: Int, _ reason: String) -> InvalidInput { InvalidInput("line \(line): \(reason)") }

    /// The header's columns: known names (spaces around them ignored), each once, `email` among them.
    static func header(_ record: CSVRecord) throws -> [ImportColumn] {
        var columns: [ImportColumn] = []
        for cell in record.cells {
            let name = String(cell.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
            guard let column = ImportColumn(rawValue: name) else {
                let known = ImportColumn.allCases.map(\.rawValue).joined(separator: ", ")
                throw Self.malformed(line: record.line, "unknown column \"\(name)\" (the columns are \(known))")
            }
            guard !columns.contains(column) else {
                throw Self.malformed(line: record.line, "the column \(name) appears twice")
            }
            columns.append(column)
        }
        guard columns.contains(.email) else { throw Self.malformed(line: record.line, "the column email is required") }
        return columns
    }
}
