import Foundation

/// A Swift value that can be sent as a parameter, in PostgreSQL's text format. Cast in SQL where the
/// server cannot infer the type (`\(tags)::text[]`, `\(patch)::jsonb`).
public protocol PostgresEncodable: Sendable {
    var postgresText: String { get }
}

extension String: PostgresEncodable {
    public var postgresText: String { self }
}

extension Substring: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int32: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int64: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Bool: PostgresEncodable {
    public var postgresText: String { self ? "true" : "false" }
}

extension Double: PostgresEncodable {
    public var postgresText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return "\(self)"
    }
}

extension Date: PostgresEncodable {
    public var postgresText: String { Timestamp(self).iso8601Microseconds }
}

extension Timestamp: PostgresEncodable {
    public var postgresText: String { iso8601Microseconds }
}

/// Raw JSON text, sent as is (cast it: `\(json)::jsonb`) and received as is from json/jsonb columns.
public struct JSONText: PostgresEncodable, Hashable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var postgresText: String { text }

    /// Encodes a value with JSONEncoder.
    public init(encoding value: some Encodable) throws {
        let data = try JSONEncoder().encode(value)
        self.text = String(decoding: data, as: UTF8.self)
    }

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

/// A one-dimensional array, in PostgreSQL's array literal syntax (cast it: `\(ids)::text[]`).
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public var postgresText: String {
        var literal = "{"
        for (index, element) in enumerated() {
            if index > 0 { literal += "," }
            literal += "\""
            for character in element.postgresText.unicodeScalars {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        return literal + "}"
    }
}
