import Crypto
import Customers
import Foundation
import JSON
import Synchronization

/// The opaque `cursor` of the customer lists (API.md "Cursor pages"): the position after a page's last row
/// (its sort key and id) and a fingerprint of the request's filters and order, authenticated with
/// HMAC-SHA256 under a key derived from JWT_SECRET, which every worker process and every instance shares.
///
/// A cursor is only ever decoded after its MAC checked out, so a forged or tampered one is refused before
/// any of its bytes is read, and its position reaches SQL only as bound parameters. A cursor made for other
/// filters or another order is refused by its fingerprint. A new JWT_SECRET makes every outstanding cursor
/// invalid (the client starts again from the first page).
///
///     base64url( version(1) | fingerprint(16) | id length(2) | id | key flag(1) | key length(2) | key | MAC(16) )
enum ListCursor {
    static let version: UInt8 = 1
    static let invalid = APIError.invalidData("cursor is invalid")

    private static let key = Mutex<SymmetricKey?>(nil)

    /// Derives the signing key from the secret; called once per process when the router is built.
    static func configure(secret: String) {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(secret.utf8)),
            info: Array("clientele customer list cursor v1".utf8), outputByteCount: 32)
        key.withLock { $0 = derived }
    }

    private static var signingKey: SymmetricKey {
        guard let key = key.withLock({ $0 }) else { fatalError("ListCursor.configure was not called") }
        return key
    }

    static func encode(_ position: CustomerListPosition, for query: CustomerListQuery) -> String {
        var bytes: [UInt8] = [version]
        bytes += fingerprint(query)
        appendField(Array(position.id.utf8), to: &bytes)
        bytes.append(position.key == nil ? 0 : 1)
        appendField(Array((position.key ?? "").utf8), to: &bytes)
        bytes += mac(bytes)
        return Base64URL.encode(bytes)
    }

    /// The position in `token`, which must have been made by `encode` for a query with the same filters and
    /// order as `query`; otherwise 400 `cursor is invalid`.
    static func decode(_ token: String, for query: CustomerListQuery) throws -> CustomerListPosition {
        guard let bytes = Base64URL.decode(token), bytes.count > 1 + 16 + 16, bytes[0] == version else { throw invalid }
        let body = Array(bytes.dropLast(16))
        guard constantTimeEqual(mac(body), Array(bytes.suffix(16))) else { throw invalid }
        // Authentic from here on: made by this service. It may still belong to another filter or order.
        guard constantTimeEqual(Array(body[1..<17]), fingerprint(query)) else { throw invalid }
        var reader = FieldReader(bytes: body, index: 17)
        guard let id = reader.field(), let flag = reader.byte(), let key = reader.field(), reader.isAtEnd,
            let idText = String(validating: id, as: UTF8.self), let keyText = String(validating: key, as: UTF8.self)
        else { throw invalid }
        return CustomerListPosition(key: flag == 1 ? keyText : nil, id: idText)
    }

    /// The request's filters and order, canonically written (group ids and bounds sorted) and hashed.
    static func fingerprint(_ query: CustomerListQuery) -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        writer.beginObject()
        writer.key("q"); writer.string(query.search)
        writer.key("has_account")
        if let hasAccount = query.hasAccount { writer.bool(hasAccount) } else { writer.null() }
        writer.key("groups")
        writer.beginArray()
        for id in Set(query.groupIDs).sorted() { writer.string(id) }
        writer.endArray()
        for (name, bounds) in [("created_at", query.createdAt), ("updated_at", query.updatedAt)] {
            writer.key(dynamic: name)
            writer.beginArray()
            for bound in bounds.sorted(by: { $0.comparison.rawValue < $1.comparison.rawValue }) {
                writer.string("\(bound.comparison.rawValue) \(bound.value.microsecondsSinceEpoch)")
            }
            writer.endArray()
        }
        writer.key("order"); writer.string((query.descending ? "-" : "") + query.orderField.rawValue)
        writer.endObject()
        return Array(SHA256.hash(data: writer.bytes).prefix(16))
    }

    private static func mac(_ bytes: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: bytes, using: signingKey).prefix(16))
    }

    private static func appendField(_ field: [UInt8], to bytes: inout [UInt8]) {
        let length = min(field.count, Int(UInt16.max))
        bytes.append(UInt8(length >> 8))
        bytes.append(UInt8(length & 0xFF))
        bytes += field.prefix(length)
    }

    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    /// Reads the length-prefixed fields back.
    private struct FieldReader {
        let bytes: [UInt8]
        var index: Int

        var isAtEnd: Bool { index == bytes.count }

        mutating func byte() -> UInt8? {
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func field() -> ArraySlice<UInt8>? {
            guard let high = byte(), let low = byte() else { return nil }
            let length = Int(high) << 8 | Int(low)
            guard bytes.count - index >= length else { return nil }
            defer { index += length }
            return bytes[index..<index + length]
        }
    }
}

/// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5), so a cursor needs no escaping in a query.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> [UInt8]? {
        func isAlphabet(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                return true
            default:
                return false
            }
        }
        guard !text.isEmpty, text.utf8.count <= 8192, text.utf8.allSatisfy(isAlphabet) else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
