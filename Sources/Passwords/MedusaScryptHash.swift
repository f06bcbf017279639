import Crypto

/// A password hash as Medusa v1 stores it: the base64 of the 96-byte header of Colin Percival's scrypt
/// file format, made by the npm package scrypt-kdf (`Scrypt.kdf(password, {logN: 1, r: 1, p: 1})` in
/// Medusa's UserService and CustomerService). Layout, big-endian:
///
///     0   6   "scrypt"
///     6   1   version (0)
///     7   1   log2(N)
///     8   4   r
///     12  4   p
///     16  32  salt
///     48  16  first 16 bytes of SHA-256(bytes 0..<48)
///     64  32  HMAC-SHA256(bytes 0..<64), keyed with bytes 32..<64 of scrypt(password, salt, N, r, p, 64)
///
/// Verifying re-derives the 64-byte key and recomputes the HMAC. Medusa's cost (N = 2) is far too cheap:
/// `PasswordHasher.needsRehash` says yes to every such hash, so it is replaced at the next login.
struct MedusaScryptHash {
    let bytes: [UInt8]

    init?(base64: String) {
        // 96 bytes are exactly 128 base64 characters, without padding.
        guard base64.utf8.count == 128, let bytes = Base64.decode(base64), bytes.count == 96,
            bytes[0..<6].elementsEqual("scrypt".utf8), bytes[6] == 0
        else { return nil }
        self.bytes = bytes
    }

    var logN: Int { Int(bytes[7]) }
    var r: Int { Self.bigEndian(bytes[8..<12]) }
    var p: Int { Self.bigEndian(bytes[12..<16]) }
    var salt: ArraySlice<UInt8> { bytes[16..<48] }

    func verify(_ password: String) -> Bool {
        let checksum = SHA256.hash(data: bytes[0..<48]).prefix(16)
        guard constantTimeEquals(Array(checksum), bytes[48..<64]) else { return false }
        guard
            let key = try? ScryptParameters.derive(
                password: Array(password.utf8), salt: Array(salt), logN: logN, r: r, p: p, length: 64)
        else { return false }
        let mac = HMAC<SHA256>.authenticationCode(for: bytes[0..<64], using: SymmetricKey(data: key[32..<64]))
        return constantTimeEquals(Array(mac), bytes[64..<96])
    }

    private static func bigEndian(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.reduce(0) { $0 << 8 | Int($1) }
    }
}
