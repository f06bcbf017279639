import Foundation

/// A Swift type that can be read from a value in PostgreSQL's text format.
public protocol PostgresDecodable: Sendable {
    /// The type oids this decoder accepts; nil accepts any type.
    static var acceptedTypes: Set<UInt32>? { get }
    /// `bytes` is nil for SQL NULL.
    static func decode(postgresText bytes: UnsafeRawBufferPointer?) throws -> Self
}

/// Type oids of the built-in types (pg_type.dat).
public enum PostgresType {
    public static let bool: UInt32 = 16
    public static let name: UInt32 = 19
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let oid: UInt32 = 26
    public static let json: UInt32 = 114
    public static let float4: UInt32 = 700
    public static let float8: UInt32 = 701
    public static let unknown: UInt32 = 705
    public static let bpchar: UInt32 = 1042
    public static let varchar: UInt32 = 1043
    public static let timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184
    public static let numeric: UInt32 = 1700
    public static let uuid: UInt32 = 2950
    public static let jsonb: UInt32 = 3802
}

private func nonNull<T>(_ bytes: UnsafeRawBufferPointer?, _ type: T.Type) throws -> UnsafeRawBufferPointer {
    guard let bytes else { throw PostgresError(kind: .decoding, message: "is NULL, expected \(T.self)") }
    return bytes
}

private func string(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }

extension String: PostgresDecodable {
    public static let acceptedTypes: Set<UInt32>? = [
        PostgresType.text, PostgresType.varchar, PostgresType.bpchar, PostgresType.name, PostgresType.unknown,
        PostgresType.uuid, PostgresType.json, PostgresType.jsonb,
    ]
    public static func decode(postgresText bytes: UnsafeRawBufferPointer?) throws -> String {
        string(try nonNull(bytes, String.self))
    }
}

extension Int: PostgresDecodable {
    public static let acceptedTypes: Set<UInt32>? = [
        PostgresType.int2, PostgresType.int4, PostgresType.int8, PostgresType.oid,
    ]
    public static func decode(postgresText bytes: UnsafeRawBufferPointer?) throws -> Int {
        let text = string(try nonNull(bytes, Int.self))
        guard let value = Int(text) else { throw PostgresError(kind: .decoding, message: "\(text) is not an Int") }
        return value
    }
}

extension Bool: PostgresDecodable {
    public static let acceptedTypes: Set<UInt32>? = [PostgresType.bool]
    public static func decode(postgresText bytes: UnsafeRawBufferPointer?) throws -> Bool {
        let bytes = try nonNull(bytes, Bool.self)
        return bytes.first == UInt8(ascii: "t")
    }
}

extension Double: PostgresDecodable {
    public static let acceptedTypes: Set<UInt32>? = [
        PostgresType.float4, PostgresType.float8, PostgresType.numeric, PostgresType.int2, PostgresType.int4,
        PostgresType.int8,
    ]
    public static func decode(postgresText bytes: UnsafeRawBufferPointer?) throws -> Double {
        let text = string(try nonNull(bytes, Double.self))
        switch text {
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else {
                throw PostgresError(kind: .decoding, message: "\(text) is not a Double")
            }
            return value
        }
    }
}

extension Timestamp: PostgresDecodable {
    public static let acceptedTypes: Set<UInt32>? = [PostgresType.timestamptz, PostgresType.timestamp]
    public static func decode(postgresText bytes: UnsafeRawBufferPointer?) throws -> Timestamp {
        let bytes = try nonNull(bytes, Timestamp.self)
        guard let value = bytes.withMemoryRebound(to: UInt8.self, { Timestamp(parsingUTF8: $0) }) else {
            throw PostgresError(kind: .decoding, message: "\(string(bytes)) is not a timestamp in ISO style")
        }
        return value
    }
}

extension Date: PostgresDecodable {
    public static let acceptedTypes: Set<UInt32>? = Timestamp.acceptedTypes
    public static func decode(postgresText bytes: UnsafeRawBufferPointer?) throws -> Date {
        try Timestamp.decode(postgresText: bytes).date
    }
}

extension JSONText: PostgresDecodable {
    public static let acceptedTypes: Set<UInt32>? = [PostgresType.json, PostgresType.jsonb]
    public static func decode(postgresText bytes: UnsafeRawBufferPointer?) throws -> JSONText {
        JSONText(string(try nonNull(bytes, JSONText.self)))
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static var acceptedTypes: Set<UInt32>? { Wrapped.acceptedTypes }
    public static func decode(postgresText bytes: UnsafeRawBufferPointer?) throws -> Wrapped? {
        guard let bytes else { return nil }
        return try Wrapped.decode(postgresText: bytes)
    }
}

/// A jsonb or json column decoded into any `Decodable`: `row.decode(Decoded<Settings>.self, at: 2).value`.
public struct Decoded<Value: Decodable & Sendable>: PostgresDecodable {
    public let value: Value
    public static var acceptedTypes: Set<UInt32>? { [PostgresType.json, PostgresType.jsonb] }
    public static func decode(postgresText bytes: UnsafeRawBufferPointer?) throws -> Decoded<Value> {
        let bytes = try nonNull(bytes, Value.self)
        do {
            return Decoded(value: try JSONDecoder().decode(Value.self, from: Data(bytes)))
        } catch {
            throw PostgresError(kind: .decoding, message: "JSON does not decode as \(Value.self): \(error)")
        }
    }
}
