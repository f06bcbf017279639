import NIOCore

/// `{"customer":{...}}` for the row of `pointReadSQL`, two ways: straight from libpq's bytes into the response
/// buffer, or through a `String` per value first (what the product does: decode into a model, then write).
enum CustomerBody {
    static let names: [StaticString] = [
        "id", "email", "first_name", "last_name", "billing_address_id", "phone", "has_account", "metadata",
        "created_at", "updated_at", "deleted_at",
    ]

    static func fromBytes(_ rows: ResultRows, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 512)
        buffer.writeStaticString("{\"customer\":{")
        for column in 0..<names.count {
            if column > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeInteger(UInt8(ascii: "\""))
            buffer.writeStaticString(names[column])
            buffer.writeStaticString("\":")
            if rows.isNull(column) {
                buffer.writeStaticString("null")
                continue
            }
            let bytes = rows.bytes(column)
            switch column {
            case 6: buffer.writeStaticString(bytes.first == UInt8(ascii: "t") ? "true" : "false")
            case 7: buffer.writeBytes(bytes)
            case 8, 9, 10: writeTimestamp(bytes, into: &buffer)
            default: writeQuoted(bytes, into: &buffer)
            }
        }
        buffer.writeStaticString("}}")
        return buffer
    }

    static func fromStrings(_ rows: ResultRows, allocator: ByteBufferAllocator) -> ByteBuffer {
        let values: [String?] = (0..<names.count).map { rows.text($0) }
        var text = "{\"customer\":{"
        for (column, value) in values.enumerated() {
            if column > 0 { text += "," }
            text += "\"\(names[column])\":"
            guard let value else {
                text += "null"
                continue
            }
            switch column {
            case 6: text += value == "t" ? "true" : "false"
            case 7: text += value
            case 8, 9, 10: text += "\"" + iso8601(value) + "\""
            default: text += quoted(value)
            }
        }
        text += "}}"
        return allocator.buffer(string: text)
    }

    /// `2024-01-02 03:04:05.678912+00` → `"2024-01-02T03:04:05.678Z"`.
    static func writeTimestamp(_ bytes: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[0..<10]))
        buffer.writeInteger(UInt8(ascii: "T"))
        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[11..<19]))
        buffer.writeInteger(UInt8(ascii: "."))
        var index = 20
        for _ in 0..<3 {
            let digit = index < bytes.count && bytes[19] == UInt8(ascii: ".") && bytes[index] >= 48 && bytes[index] <= 57
            buffer.writeInteger(digit ? bytes[index] : UInt8(ascii: "0"))
            if digit { index += 1 }
        }
        buffer.writeStaticString("Z\"")
    }

    static func iso8601(_ text: String) -> String {
        let parts = text.split(separator: " ")
        var time = parts[1].prefix { $0 != "+" && $0 != "-" }
        if !time.contains(".") { time += ".000" }
        let (clock, fraction) = (time.split(separator: ".")[0], time.split(separator: ".")[1])
        return "\(parts[0])T\(clock).\(String(fraction.prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0))Z"
    }

    static func writeQuoted(_ bytes: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                buffer.writeInteger(UInt8(ascii: "\\"))
                buffer.writeInteger(byte)
            case 0..<0x20:
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 15)])
            default:
                buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20: result += "\\u00" + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    static let hex = Array("0123456789abcdef".utf8)
}

extension String {
    func padding(toLength length: Int, withPad pad: String, startingAt: Int) -> String {
        count >= length ? String(prefix(length)) : self + String(repeating: pad, count: length - count)
    }
}
