import Foundation

/// A point in time with PostgreSQL's precision (microseconds since 1970-01-01 UTC), exact where `Date` (a
/// Double) is not. Parses what `timestamptz` prints in any TimeZone setting and what clients send as ISO 8601;
/// prints the API's form `2024-01-01T00:00:00.000Z`.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public init(_ date: Date) {
        microsecondsSinceEpoch = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    public static func now() -> Timestamp { Timestamp(Date()) }

    public var date: Date { Date(timeIntervalSince1970: Double(microsecondsSinceEpoch) / 1_000_000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    public var description: String { iso8601Milliseconds }

    /// `2024-01-01T00:00:00.123Z`, as JavaScript's `Date.toISOString()` (milliseconds, truncated).
    public var iso8601Milliseconds: String { format(fractionDigits: 3) }

    /// `2024-01-01T00:00:00.123456Z`, lossless, for sending back to PostgreSQL.
    public var iso8601Microseconds: String { format(fractionDigits: 6) }

    /// Written straight into the string's storage: every customer in a response has three of these, and
    /// an array and a closure per call made them a visible share of a point read (README "Performance").
    private func format(fractionDigits: Int) -> String {
        let micros = microsecondsSinceEpoch
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = Self.civil(fromDays: days)
        return String(unsafeUninitializedCapacity: 21 + fractionDigits) { buffer in
            var end = 0
            Self.put(year, digits: 4, into: buffer, at: &end)
            Self.put(UInt8(ascii: "-"), into: buffer, at: &end)
            Self.put(month, digits: 2, into: buffer, at: &end)
            Self.put(UInt8(ascii: "-"), into: buffer, at: &end)
            Self.put(day, digits: 2, into: buffer, at: &end)
            Self.put(UInt8(ascii: "T"), into: buffer, at: &end)
            Self.put(secondOfDay / 3600, digits: 2, into: buffer, at: &end)
            Self.put(UInt8(ascii: ":"), into: buffer, at: &end)
            Self.put(secondOfDay / 60 % 60, digits: 2, into: buffer, at: &end)
            Self.put(UInt8(ascii: ":"), into: buffer, at: &end)
            Self.put(secondOfDay % 60, digits: 2, into: buffer, at: &end)
            Self.put(UInt8(ascii: "."), into: buffer, at: &end)
            Self.put(fractionDigits == 3 ? fraction / 1000 : fraction, digits: fractionDigits, into: buffer, at: &end)
            Self.put(UInt8(ascii: "Z"), into: buffer, at: &end)
            return end
        }
    }

    /// The last `count` decimal digits of `value`, zero-padded.
    private static func put(_ value: Int64, digits count: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at end: inout Int) {
        var rest = value
        for position in stride(from: end + count - 1, through: end, by: -1) {
            buffer[position] = UInt8(truncatingIfNeeded: 48 + rest % 10)
            rest /= 10
        }
        end += count
    }

    private static func put(_ byte: UInt8, into buffer: UnsafeMutableBufferPointer<UInt8>, at end: inout Int) {
        buffer[end] = byte
        end += 1
    }

    /// Parses `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM[:SS[.ffffff]]`, optionally
    /// followed by `Z` or an offset `±HH[[:]MM]`. No offset means UTC. Returns nil for anything else.
    public init?(parsing text: some StringProtocol) {
        var text = String(text)
        guard let value = text.withUTF8({ Self.parse($0) }) else { return nil }
        microsecondsSinceEpoch = value
    }

    /// Parses the bytes PostgreSQL sent as they lie in its result, without a String or an array on the way.
    public init?(parsingUTF8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = Self.parse(bytes) else { return nil }
        microsecondsSinceEpoch = value
    }

    /// Microseconds since the epoch, or nil (see `init(parsing:)`).
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var scanner = ByteScanner(bytes)
        guard let year = scanner.number(digits: 4), scanner.take("-"),
            let month = scanner.number(digits: 2), scanner.take("-"),
            let day = scanner.number(digits: 2),
            (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var secondOfDay: Int64 = 0
        var micros: Int64 = 0
        var offsetSeconds: Int64 = 0
        if scanner.take("T") || scanner.take(" ") {
            guard let hour = scanner.number(digits: 2), scanner.take(":"), let minute = scanner.number(digits: 2),
                hour < 24, minute < 60
            else { return nil }
            var second: Int64 = 0
            if scanner.take(":") {
                guard let value = scanner.number(digits: 2), value < 60 else { return nil }
                second = value
                if scanner.take(".") {
                    var scale: Int64 = 100_000
                    var count = 0
                    while let digit = scanner.digit() {
                        micros += digit * scale
                        scale /= 10
                        count += 1
                    }
                    if count == 0 { return nil }
                }
            }
            secondOfDay = hour * 3600 + minute * 60 + second
            if scanner.take("Z") || scanner.take("z") {
            } else if let sign: Int64 = scanner.take("+") ? 1 : (scanner.take("-") ? -1 : nil) {
                guard let hours = scanner.number(digits: 2), hours <= 15 else { return nil }
                var minutes: Int64 = 0
                _ = scanner.take(":")
                if let value = scanner.number(digits: 2) { minutes = value }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
            }
        }
        guard scanner.atEnd else { return nil }
        let seconds = Self.days(year: year, month: month, day: day) * 86_400 + secondOfDay - offsetSeconds
        let value = seconds * 1_000_000 + micros
        // Only instants whose UTC year has four digits, 0001 to 9999: those are what `iso8601Microseconds`
        // prints and PostgreSQL reads back (it has no year 0, and `0000-…` or `10000-…` after an offset
        // would reach it as a statement error, not as the client's mistake).
        guard (Self.earliest...Self.latest).contains(value) else { return nil }
        return value
    }

    static let earliest = days(year: 1, month: 1, day: 1) * 86_400_000_000
    static let latest = (days(year: 9999, month: 12, day: 31) + 1) * 86_400_000_000 - 1

    // Howard Hinnant's civil calendar algorithms (days since 1970-01-01 <-> year, month, day).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

struct ByteScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }
    var atEnd: Bool { index == bytes.count }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    mutating func digit() -> Int64? {
        guard index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 else { return nil }
        index += 1
        return Int64(bytes[index - 1] - 48)
    }

    mutating func number(digits count: Int) -> Int64? {
        let start = index
        var value: Int64 = 0
        for _ in 0..<count {
            guard let digit = digit() else {
                index = start
                return nil
            }
            value = value * 10 + digit
        }
        return value
    }
}
