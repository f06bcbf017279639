/// Writes RFC 4180 CSV: cells separated by commas, records ended by CRLF, a cell quoted when it holds a
/// quote, a comma or a line break (quotes inside doubled). A nil cell is empty; an empty string is written
/// `""`, so the two stay apart.
///
/// Formula injection (OWASP "CSV Injection"): a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
/// return is prefixed with `'`, so that a spreadsheet shows it as text instead of running it. `CSVReader`'s
/// `unescapingFormula` takes that prefix off again, so an export imports back unchanged.
public struct CSVWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var atRecordStart = true

    public init(capacity: Int = 64 * 1024) { bytes.reserveCapacity(capacity) }

    /// Bytes that make a spreadsheet read a cell as a formula when they come first.
    public static func startsFormula(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D: return true
        default: return false
        }
    }

    public mutating func cell(_ text: String?) {
        guard var text else { return cell(nil as UnsafeRawBufferPointer?) }
        text.withUTF8 { cell(UnsafeRawBufferPointer($0)) }
    }

    /// A cell from UTF-8 bytes (e.g. a value straight from libpq's result); nil is an empty cell.
    public mutating func cell(_ value: UnsafeRawBufferPointer?) {
        if !atRecordStart { bytes.append(UInt8(ascii: ",")) }
        atRecordStart = false
        guard let value else { return }
        if value.isEmpty {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(UInt8(ascii: "\""))
            return
        }
        let needsQuotes = value.contains { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: ",") || $0 == 0x0A || $0 == 0x0D }
        if needsQuotes { bytes.append(UInt8(ascii: "\"")) }
        if Self.startsFormula(value[0]) { bytes.append(UInt8(ascii: "'")) }
        if needsQuotes {
            for byte in value {
                if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        } else {
            bytes.append(contentsOf: value)
        }
    }

    /// A cell written as is: for values this program made that need neither quotes nor the formula prefix.
    public mutating func plainCell(_ text: StaticString) {
        if !atRecordStart { bytes.append(UInt8(ascii: ",")) }
        atRecordStart = false
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A cell of bytes assembled by the caller (e.g. a reshaped timestamp) that need no quotes or prefix.
    public mutating func plainCell(_ value: some Sequence<UInt8>) {
        if !atRecordStart { bytes.append(UInt8(ascii: ",")) }
        atRecordStart = false
        bytes.append(contentsOf: value)
    }

    public mutating func endRecord() {
        bytes.append(0x0D)
        bytes.append(0x0A)
        atRecordStart = true
    }

    /// Hands the bytes written so far to the caller and starts again (the record in progress is kept).
    public mutating func take() -> [UInt8] {
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes
    }
}
