/// The query string of a request as (key, value) pairs in order, percent-decoded (`+` is a space).
struct QueryItems {
    private(set) var items: [(key: String, value: String)] = []

    init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            items.append((key, value))
        }
    }

    /// Pairs given one by one (the command line's `key=value` arguments), taken as they are.
    init(pairs: [(key: String, value: String)]) {
        items = pairs
    }

    /// The last value of `key`, if present.
    func value(_ key: String) -> String? { items.last { $0.key == key }?.value }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if let high = iterator.next(), let low = iterator.next(), let value = UInt8(hex: high, low) {
                    bytes.append(value)
                } else {
                    bytes.append(byte)
                }
            default:
                bytes.append(byte)
            }
        }
        // Invalid UTF-8 becomes U+FFFD: such a value then fails validation or matches nothing.
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension UInt8 {
    init?(hex high: UInt8, _ low: UInt8) {
        func nibble(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: return byte - 0x30
            case 0x41...0x46: return byte - 0x41 + 10
            case 0x61...0x66: return byte - 0x61 + 10
            default: return nil
            }
        }
        guard let high = nibble(high), let low = nibble(low) else { return nil }
        self = high << 4 | low
    }
}
