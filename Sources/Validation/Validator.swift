import JSON
import Postgres

/// Input that breaks the API's rules, with every message of one request (or one imported row) joined by
/// ", ". The API answers it 400 `invalid_data` with this message; an import records it against the row.
public struct InvalidInput: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Collects validation messages of one request in the order API.md gives them (unknown keys first, then
/// each field in its documented order) and fails with all of them joined by ", ". It lives in the domain,
/// not in AdminAPI, so that the worker validates an imported row with the very code the create route runs.
public struct Validator: Sendable {
    public private(set) var messages: [String] = []

    public init() {}

    public mutating func add(_ message: String) { messages.append(message) }

    /// Unknown keys, in the order the client sent them.
    public mutating func rejectUnknown(_ keys: [String], allowed: Set<String>) {
        for key in keys where !allowed.contains(key) { add("property \(key) should not exist") }
    }

    public func finish() throws(InvalidInput) {
        if !messages.isEmpty { throw InvalidInput(messages.joined(separator: ", ")) }
    }
}

/// Reads and checks the fields of a JSON object body.
public struct BodyReader {
    public let object: JSONObject
    public var validator = Validator()

    /// Parses `bytes` as a JSON object and reports its unknown keys.
    public init(bytes: [UInt8], allowed: [String]) throws(InvalidInput) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw InvalidInput("Invalid JSON body: \(error.message)")
        }
        guard case .object(let object) = value else { throw InvalidInput("The body must be a JSON object") }
        self.init(object: object, allowed: allowed)
    }

    /// Reads an object that is already parsed (an imported CSV row, as `CustomerDraft` builds it).
    public init(object: JSONObject, allowed: [String]) {
        self.object = object
        validator.rejectUnknown(object.keys, allowed: Set(allowed))
    }

    public func has(_ key: String) -> Bool { object[key] != nil }

    /// A string that must be present.
    public mutating func requiredString(_ key: String) -> String? {
        guard case .string(let text) = object[key] else {
            validator.add("\(key) must be a string")
            return nil
        }
        return checked(text, key)
    }

    /// A string that must be present and at most `maximumLength` characters long: for a column under a
    /// btree index, whose entries PostgreSQL limits to about 2700 bytes.
    public mutating func requiredString(_ key: String, maximumLength: Int) -> String? {
        guard let text = requiredString(key) else { return nil }
        guard text.count <= maximumLength else {
            validator.add("\(key) must be shorter than or equal to \(maximumLength) characters")
            return nil
        }
        return text
    }

    /// Absent: nil. `null`: .some(nil). A string: .some(text).
    public mutating func optionalString(_ key: String) -> String?? {
        switch object[key] {
        case nil: return nil
        case .null: return .some(nil)
        case .string(let text): return checked(text, key).map { .some($0) }
        default:
            validator.add("\(key) must be a string")
            return nil
        }
    }

    /// An email address, trimmed and lower-cased.
    public mutating func email(_ key: String, required: Bool) -> String? {
        guard let raw = object[key] else {
            if required { validator.add("\(key) must be an email") }
            return nil
        }
        if case .null = raw, !required { return nil }
        guard case .string(let text) = raw, let email = EmailAddress.normalize(text) else {
            validator.add("\(key) must be an email")
            return nil
        }
        return email
    }

    public mutating func password(_ key: String, required: Bool) -> String? {
        guard let raw = object[key] else {
            if required { validator.add("\(key) must be a string") }
            return nil
        }
        if case .null = raw, !required { return nil }
        guard case .string(let text) = raw else {
            validator.add("\(key) must be a string")
            return nil
        }
        guard text.count >= 8 else {
            validator.add("\(key) must be longer than or equal to 8 characters")
            return nil
        }
        return checked(text, key)
    }

    /// An object (metadata); `null` is treated as absent. It is stored as jsonb, which holds neither NUL
    /// nor numbers beyond PostgreSQL's `numeric`.
    public mutating func object(_ key: String) -> JSONObject? {
        switch object[key] {
        case nil, .null: return nil
        case .object(let value):
            if Self.containsNUL(.object(value)) {
                validator.add("\(key) must not contain NUL characters")
                return nil
            }
            if !Self.numbersFitNumeric(.object(value)) {
                validator.add("\(key) must not contain numbers out of range")
                return nil
            }
            return value
        default:
            validator.add("\(key) must be an object")
            return nil
        }
    }

    /// Strings are stored in PostgreSQL, which cannot hold NUL.
    private mutating func checked(_ text: String, _ key: String) -> String? {
        if text.utf8.contains(0) {
            validator.add("\(key) must not contain NUL characters")
            return nil
        }
        return text
    }

    public static func containsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): return text.utf8.contains(0)
        case .array(let elements): return elements.contains(where: containsNUL)
        case .object(let object): return object.members.contains { $0.key.utf8.contains(0) || containsNUL($0.value) }
        default: return false
        }
    }

    public static func numbersFitNumeric(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let text): return fitsNumeric(text)
        case .array(let elements): return elements.allSatisfy(numbersFitNumeric)
        case .object(let object): return object.members.allSatisfy { numbersFitNumeric($0.value) }
        default: return true
        }
    }

    /// Whether PostgreSQL's `numeric` (and so jsonb) takes the JSON number `text` (already valid JSON):
    /// at most 131072 digits before the decimal point and 16383 after it, as written (`1e1000000` and
    /// `1e-20000` are refused by the server with 22003, which must not become a 500).
    public static func fitsNumeric(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        func digits() -> ArraySlice<UInt8> {
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            return bytes[start..<index]
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integer = digits()
        var fraction: ArraySlice<UInt8> = []
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            fraction = digits()
        }
        var exponent = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                negative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            for digit in digits() {
                exponent = exponent * 10 + Int(digit - 0x30)
                if exponent > 1_000_000 { return false }
            }
            if negative { exponent = -exponent }
        }
        guard fraction.count - exponent <= 16383 else { return false }
        let zero = UInt8(ascii: "0")
        if let first = integer.firstIndex(where: { $0 != zero }) {
            return integer.endIndex - first + exponent <= 131072
        }
        if let first = fraction.firstIndex(where: { $0 != zero }) {
            return fraction.startIndex - first + exponent <= 131072
        }
        return true
    }

    public func finish() throws(InvalidInput) { try validator.finish() }
}

/// Email addresses as the API accepts them: trimmed, lower-cased, `local@domain` with a dotted domain.
public enum EmailAddress {
    public static func normalize(_ text: String) -> String? {
        let email = String(text.unicodeScalars.drop(while: \.properties.isWhitespace).reversed().drop(while: \.properties.isWhitespace).reversed().map(Character.init)).lowercased()
        guard email.utf8.count <= 254, let at = email.lastIndex(of: "@") else { return nil }
        let local = email[..<at]
        let domain = email[email.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64, !local.hasPrefix("."), !local.hasSuffix("."),
            !local.contains("..")
        else { return nil }
        let localAllowed = Set("abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~.-".unicodeScalars)
        guard local.unicodeScalars.allSatisfy({ localAllowed.contains($0) || $0.value > 0x7F && !$0.properties.isWhitespace })
        else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let tld = labels.last, tld.count >= 2,
            tld.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || $0.value > 0x7F })
        else { return nil }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-"),
                label.unicodeScalars.allSatisfy({
                    ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0.value > 0x7F
                        && !$0.properties.isWhitespace
                })
            else { return nil }
        }
        return email
    }
}

extension JSONObject {
    /// The members to merge into stored metadata and the keys to remove (sent as ""), as Medusa does.
    public var metadataPatch: (set: JSONText?, remove: [String]) { metadataPatch(removingNulls: false) }

    /// As `metadataPatch`; with `removingNulls`, a key sent as null is removed too (a group's metadata).
    public func metadataPatch(removingNulls: Bool) -> (set: JSONText?, remove: [String]) {
        var set = JSONObject()
        var remove: [String] = []
        for (key, value) in members {
            switch value {
            case .string(""): remove.append(key)
            case .null where removingNulls: remove.append(key)
            default: set[key] = value
            }
        }
        return (set.count > 0 ? JSONText(JSONWriter.text(of: .object(set))) : nil, remove)
    }

    public var jsonText: JSONText { JSONText(JSONWriter.text(of: .object(self))) }
}
