import CLibPQ

/// The rows of one statement, read straight from libpq's result (text format). Immutable once made, so it
/// may cross threads; the memory is freed when the last reference goes.
// @unchecked: libpq results are immutable once made and PQgetvalue reads them without state.
public final class QueryResult: @unchecked Sendable {
    let pointer: OpaquePointer
    public let rowCount: Int
    public let columnCount: Int

    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
        rowCount = Int(PQntuples(pointer))
        columnCount = Int(PQnfields(pointer))
    }

    deinit { PQclear(pointer) }

    /// Rows changed by INSERT/UPDATE/DELETE (0 for other statements).
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(pointer))) ?? 0 }

    public func columnName(_ column: Int) -> String { String(cString: PQfname(pointer, Int32(column))) }

    public func columnIndex(_ name: String) -> Int? {
        let index = Int(PQfnumber(pointer, name))
        return index >= 0 ? index : nil
    }

    public func columnType(_ column: Int) -> UInt32 { PQftype(pointer, Int32(column)) }

    public func isNull(row: Int, column: Int) -> Bool { PQgetisnull(pointer, Int32(row), Int32(column)) == 1 }

    /// The bytes of one value in text format; nil for NULL. Valid while this result lives.
    public func bytes(row: Int, column: Int) -> UnsafeRawBufferPointer? {
        if isNull(row: row, column: column) { return nil }
        let length = Int(PQgetlength(pointer, Int32(row), Int32(column)))
        return UnsafeRawBufferPointer(start: PQgetvalue(pointer, Int32(row), Int32(column)), count: length)
    }

    public func text(row: Int, column: Int) -> String? {
        bytes(row: row, column: column).map { String(decoding: $0, as: UTF8.self) }
    }

    public subscript(row: Int) -> Row { Row(result: self, index: row) }

    public var rows: [Row] { (0..<rowCount).map { Row(result: self, index: $0) } }

    public var first: Row? { rowCount > 0 ? Row(result: self, index: 0) : nil }
}

/// One row of a `QueryResult`.
public struct Row: Sendable {
    public let result: QueryResult
    public let index: Int

    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws -> T {
        guard column < result.columnCount else {
            throw PostgresError(kind: .decoding, message: "column \(column) does not exist (\(result.columnCount) columns)")
        }
        let oid = result.columnType(column)
        if let accepted = T.acceptedTypes, !accepted.contains(oid) {
            throw PostgresError(
                kind: .decoding,
                message: "column \(result.columnName(column)) has type oid \(oid), which cannot be decoded as \(T.self)")
        }
        do {
            return try T.decode(postgresText: result.bytes(row: index, column: column))
        } catch let error as PostgresError {
            throw PostgresError(kind: .decoding, message: "column \(result.columnName(column)): \(error.message)")
        }
    }

    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = result.columnIndex(column) else {
            throw PostgresError(kind: .decoding, message: "no column named \(column)")
        }
        return try decode(type, at: index)
    }

    public func bytes(at column: Int) -> UnsafeRawBufferPointer? { result.bytes(row: index, column: column) }
    public func text(at column: Int) -> String? { result.text(row: index, column: column) }
}
