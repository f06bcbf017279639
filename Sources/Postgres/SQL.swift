/// A statement and its bound parameters, written as a string literal with interpolations:
///
///     let query: SQL = "SELECT id FROM customer WHERE email = \(email) AND deleted_at IS NULL"
///
/// Every interpolated value becomes a `$n` parameter; it is never spliced into the text. Composing is
/// safe too: interpolating another `SQL` appends its text and renumbers its parameters. The only way to
/// put raw text in is `\(unsafeRaw:)`, which says what it is, for identifiers chosen from an allowlist.
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Part: Sendable {
        case text(String)
        case parameter(Int)
    }

    private(set) var parts: [Part] = []
    /// Parameters in text format; nil is SQL NULL.
    public private(set) var binds: [String?] = []

    public init(stringLiteral value: String) {
        parts = [.text(value)]
    }

    public init(stringInterpolation: StringInterpolation) {
        parts = stringInterpolation.parts
        binds = stringInterpolation.binds
    }

    /// The text sent to the server, with `$1`, `$2`, … in place of the values.
    public var text: String {
        // Made for every statement sent: one allocation, no interpolation.
        var result = ""
        result.reserveCapacity(parts.reduce(0) { length, part in
            if case .text(let text) = part { return length + text.utf8.count }
            return length + 4
        })
        for part in parts {
            switch part {
            case .text(let text): result += text
            case .parameter(let index):
                result += "$"
                result += String(index)
            }
        }
        return result
    }

    public var description: String { text }

    /// The text with `placeholder(n)` written in place of each `$n`: for a statement that cannot take
    /// parameters (COPY), whose values travel another way (see `CopyOutStream`).
    func text(placeholder: (Int) -> String) -> String {
        var result = ""
        for part in parts {
            switch part {
            case .text(let text): result += text
            case .parameter(let index): result += placeholder(index)
            }
        }
        return result
    }

    /// Appends `other`, renumbering its parameters after this statement's.
    public mutating func append(_ other: SQL) {
        let offset = binds.count
        for part in other.parts {
            switch part {
            case .text(let text): parts.append(.text(text))
            case .parameter(let index): parts.append(.parameter(index + offset))
            }
        }
        binds.append(contentsOf: other.binds)
    }

    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var result = lhs
        result.append(rhs)
        return result
    }

    /// Joins fragments with a separator, as in `SQL.join(conditions, " AND ")`.
    public static func join(_ fragments: [SQL], _ separator: String) -> SQL {
        var result: SQL = ""
        for (index, fragment) in fragments.enumerated() {
            if index > 0 { result.append(SQL(stringLiteral: separator)) }
            result.append(fragment)
        }
        return result
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []
        var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            if !literal.isEmpty { parts.append(.text(literal)) }
        }

        /// A value, sent as a bound parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            binds.append(value.postgresText)
            parts.append(.parameter(binds.count))
        }

        /// An optional value: nil is sent as NULL.
        public mutating func appendInterpolation(_ value: (some PostgresEncodable)?) {
            binds.append(value?.postgresText)
            parts.append(.parameter(binds.count))
        }

        /// Another statement fragment, with its own parameters.
        public mutating func appendInterpolation(_ fragment: SQL) {
            let offset = binds.count
            for part in fragment.parts {
                switch part {
                case .text(let text): parts.append(.text(text))
                case .parameter(let index): parts.append(.parameter(index + offset))
                }
            }
            binds.append(contentsOf: fragment.binds)
        }

        /// Raw text. Only for identifiers picked from a fixed allowlist (an ORDER BY column, say), never
        /// for anything a client sent.
        public mutating func appendInterpolation(unsafeRaw text: String) {
            parts.append(.text(text))
        }
    }
}
