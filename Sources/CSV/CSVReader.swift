/// A record of a CSV file: its cells, and the number of the line it starts on (1 is the file's first line;
/// a quoted cell may span lines, and the record keeps the number of its first).
public struct CSVRecord: Sendable, Equatable {
    public var cells: [String]
    public var line: Int

    public init(cells: [String], line: Int) {
        self.cells = cells
        self.line = line
    }
}

/// Why a file is not well-formed CSV, and where.
public struct CSVReadError: Error, Equatable, CustomStringConvertible, Sendable {
    public let line: Int
    public let reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    /// `line 4: …`, the form API.md gives for a malformed file.
    public var description: String { "line \(line): \(reason)" }
}

/// Reads RFC 4180 CSV from UTF-8 bytes one record at a time, from a buffer that may end in the middle of a
/// record: then it asks for more and leaves its state alone, so the caller can append bytes and ask again
/// from the same offset. Records end with CRLF, LF or a lone CR. Empty lines are skipped (only counted).
///
/// Strict where a lenient reading would guess: a quoted cell that never closes, or text after a closing
/// quote, is an error; bytes that are not UTF-8, and NUL bytes (the mark of a UTF-16 file), too. A quote
/// inside an unquoted cell is kept as a character, as spreadsheets write it.
public struct CSVReader: Sendable {
    public enum Step: Sendable, Equatable {
        /// A record, and the offset just after it.
        case record(CSVRecord, end: Int)
        /// An empty line, skipped; the offset just after it.
        case blank(end: Int)
        /// The buffer ends inside a record: call again with more bytes (or with `isFinal`).
        case needMore
        /// `isFinal` and nothing left.
        case end
    }

    /// The number of the line the next record starts on.
    public private(set) var line: Int

    public init(firstLine: Int = 1) { line = firstLine }

    /// Reads the record that starts at `start`. `isFinal` says that `bytes` runs to the end of the input.
    public mutating func next(_ bytes: UnsafeRawBufferPointer, from start: Int, isFinal: Bool) throws(CSVReadError) -> Step {
        let count = bytes.count
        var index = start
        if index >= count { return isFinal ? .end : .needMore }
        // A line terminator right away: an empty line.
        if bytes[index] == 0x0A || bytes[index] == 0x0D {
            guard let end = Self.endOfLineBreak(bytes, at: index, isFinal: isFinal) else { return .needMore }
            line += 1
            return .blank(end: end)
        }
        let recordLine = line
        var cells: [String] = []
        var breaks = 0
        func finish(_ end: Int) -> Step {
            line = recordLine + 1 + breaks
            return .record(CSVRecord(cells: cells, line: recordLine), end: end)
        }
        while true {
            var cell: String
            if bytes[index] == UInt8(ascii: "\"") {
                // Quoted: up to the closing quote; "" is one quote; line breaks belong to the cell.
                var content: [UInt8] = []
                index += 1
                while true {
                    guard index < count else {
                        if isFinal { throw CSVReadError(line: recordLine, reason: "a quoted cell is never closed") }
                        return .needMore
                    }
                    let byte = bytes[index]
                    if byte == UInt8(ascii: "\"") {
                        guard index + 1 < count else {
                            if isFinal { index += 1; break }
                            return .needMore
                        }
                        if bytes[index + 1] == UInt8(ascii: "\"") {
                            content.append(byte)
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    if byte == 0x0A || (byte == 0x0D && !(index + 1 < count && bytes[index + 1] == 0x0A)) { breaks += 1 }
                    content.append(byte)
                    index += 1
                }
                if index < count, !Self.endsCell(bytes[index]) {
                    throw CSVReadError(line: recordLine, reason: "unexpected text after a closing quote")
                }
                cell = try Self.text(content, line: recordLine)
            } else {
                let cellStart = index
                while index < count, !Self.endsCell(bytes[index]) { index += 1 }
                if index == count && !isFinal { return .needMore }
                cell = try Self.text(UnsafeRawBufferPointer(rebasing: bytes[cellStart..<index]), line: recordLine)
            }
            cells.append(cell)
            // The last record of a file without a final line break.
            if index == count { return finish(index) }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                if index == count {
                    if !isFinal { return .needMore }
                    cells.append("")
                    return finish(index)
                }
                continue
            }
            guard let end = Self.endOfLineBreak(bytes, at: index, isFinal: isFinal) else { return .needMore }
            return finish(end)
        }
    }

    private static func endsCell(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == 0x0A || byte == 0x0D
    }

    /// The offset after the line break at `index` (CRLF, LF or CR); nil when a CR ends the buffer and the
    /// next byte could be its LF.
    private static func endOfLineBreak(_ bytes: UnsafeRawBufferPointer, at index: Int, isFinal: Bool) -> Int? {
        if bytes[index] == 0x0A { return index + 1 }
        if index + 1 < bytes.count { return bytes[index + 1] == 0x0A ? index + 2 : index + 1 }
        return isFinal ? index + 1 : nil
    }

    private static func text(_ bytes: some Collection<UInt8>, line: Int) throws(CSVReadError) -> String {
        if bytes.contains(0) {
            throw CSVReadError(line: line, reason: "the file contains a NUL byte: CSV must be UTF-8 text (not UTF-16)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CSVReadError(line: line, reason: "the file is not valid UTF-8")
        }
        return text
    }

    /// The UTF-8 byte order mark some spreadsheets write first; a reader skips it.
    public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Takes off the `'` that `CSVWriter` puts before a cell that would start a formula, so that a file this
    /// service exported imports back as it was. Any other cell is returned as it is.
    public static func unescapingFormula(_ cell: String) -> String {
        let utf8 = cell.utf8
        guard utf8.count >= 2, utf8.first == UInt8(ascii: "'"),
            CSVWriter.startsFormula(utf8[utf8.index(after: utf8.startIndex)])
        else { return cell }
        return String(cell.dropFirst())
    }
}
