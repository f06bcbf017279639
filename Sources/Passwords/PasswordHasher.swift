import Crypto
import CryptoExtras
import Foundation

/// Hashes and verifies passwords. Hashes are self-describing strings, so `verify` checks any stored hash
/// whatever scheme is current, and `needsRehash` tells when a stored hash should be replaced after a
/// successful login:
///
///     $scrypt$ln=15,r=8,p=1$<salt>$<hash>      scrypt, N = 2^ln; salt 16 bytes, hash 32 bytes, both
///                                              base64 without padding (the PHC string format)
///     $sha256-unsafe$<salt>$<hash>             one SHA-256 of salt + password: benchmarks only
///     <128 base64 characters>                  Medusa v1's hashes (npm scrypt-kdf), see `MedusaScryptHash`
///
/// Every comparison of secret bytes is constant-time (`constantTimeEquals`).
public struct PasswordHasher: Sendable {
    public enum Scheme: Sendable, Equatable {
        /// scrypt with N = 2^logN, block size r and parallelism p.
        case scrypt(logN: Int, r: Int, p: Int)
        /// A single salted SHA-256: cracked at billions of guesses a second. Only for benchmarks that must
        /// not measure scrypt; never for real passwords.
        case unsafeFastSHA256
    }

    public enum Failure: Error, CustomStringConvertible {
        case unsupportedParameters(String)

        public var description: String {
            switch self {
            case .unsupportedParameters(let detail): return "unsupported password hash parameters: \(detail)"
            }
        }
    }

    /// N = 2^15, r = 8, p = 1: 32 MiB and about a tenth of a second per hash (RFC 7914's interactive
    /// login setting, and what scrypt-kdf's own documentation picks).
    public static let defaultScheme = Scheme.scrypt(logN: 15, r: 8, p: 1)

    public let scheme: Scheme

    public init(scheme: Scheme = PasswordHasher.defaultScheme) {
        self.scheme = scheme
    }

    /// A new hash of `password` with a fresh random salt, in the current scheme.
    public func hash(_ password: String) throws -> String {
        let salt = Self.randomBytes(count: 16)
        switch scheme {
        case .scrypt(let logN, let r, let p):
            guard ScryptParameters.isAcceptable(logN: logN, r: r, p: p) else {
                throw Failure.unsupportedParameters("ln=\(logN),r=\(r),p=\(p)")
            }
            let key = try ScryptParameters.derive(password: Array(password.utf8), salt: salt, logN: logN, r: r, p: p, length: 32)
            return "$scrypt$ln=\(logN),r=\(r),p=\(p)$\(Base64.encode(salt))$\(Base64.encode(key))"
        case .unsafeFastSHA256:
            return "$sha256-unsafe$\(Base64.encode(salt))$\(Base64.encode(Self.fastDigest(password, salt: salt)))"
        }
    }

    /// True when `stored` is a hash of `password` in any supported format. Malformed or unsupported hashes
    /// are false, never an error.
    public func verify(_ password: String, against stored: String) -> Bool {
        switch StoredHash(parsing: stored) {
        case .scrypt(let logN, let r, let p, let salt, let expected):
            guard
                let actual = try? ScryptParameters.derive(
                    password: Array(password.utf8), salt: salt, logN: logN, r: r, p: p, length: expected.count)
            else { return false }
            return constantTimeEquals(actual, expected)
        case .unsafeFastSHA256(let salt, let expected):
            return constantTimeEquals(Self.fastDigest(password, salt: salt), expected)
        case .medusa(let header):
            return header.verify(password)
        case nil:
            return false
        }
    }

    /// True when `stored` is not in the current scheme with the current parameters (a Medusa hash, a
    /// cheaper scrypt, the unsafe scheme, or something unreadable): hash the password again after it was
    /// verified.
    public func needsRehash(_ stored: String) -> Bool {
        switch (StoredHash(parsing: stored), scheme) {
        case (.scrypt(let logN, let r, let p, _, _), .scrypt(let currentLogN, let currentR, let currentP)):
            return logN != currentLogN || r != currentR || p != currentP
        case (.unsafeFastSHA256, .unsafeFastSHA256):
            return false
        default:
            return true
        }
    }

    /// Does the work of one `verify` at the default scheme and throws it away. Called when there is no
    /// stored hash (an unknown email), so that answer takes as long as a wrong password does. True when the
    /// work was done: false only if the key derivation failed (parameters it does not support), which would
    /// make the answer fast.
    @discardableResult public static func dummyVerify(_ password: String) -> Bool {
        PasswordHasher().dummyVerify(password)
    }

    /// Does the work of one `verify` at this hasher's scheme and throws it away (see the static form).
    @discardableResult public func dummyVerify(_ password: String) -> Bool {
        let salt = Self.randomBytes(count: 16)
        let expected = Self.randomBytes(count: 32)
        let actual: [UInt8]
        switch scheme {
        case .scrypt(let logN, let r, let p):
            actual = (try? ScryptParameters.derive(password: Array(password.utf8), salt: salt, logN: logN, r: r, p: p, length: 32)) ?? []
        case .unsafeFastSHA256:
            actual = Self.fastDigest(password, salt: salt)
        }
        _ = constantTimeEquals(actual, expected)
        return !actual.isEmpty  // empty only when the derivation refused the parameters
    }

    static func fastDigest(_ password: String, salt: [UInt8]) -> [UInt8] {
        var digest = SHA256()
        digest.update(data: salt)
        digest.update(data: Array(password.utf8))
        return Array(digest.finalize())
    }

    static func randomBytes(count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()  // getrandom(2) on Linux: a CSPRNG
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

/// Compares two byte strings in time that depends only on their lengths (which are not secret here), not
/// on where they first differ.
@inline(never)
public func constantTimeEquals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for (left, right) in zip(lhs, rhs) {
        difference |= left ^ right
    }
    return difference == 0
}

/// A stored hash, parsed.
enum StoredHash {
    case scrypt(logN: Int, r: Int, p: Int, salt: [UInt8], key: [UInt8])
    case unsafeFastSHA256(salt: [UInt8], digest: [UInt8])
    case medusa(MedusaScryptHash)

    init?(parsing stored: String) {
        if stored.hasPrefix("$") {
            let fields = stored.split(separator: "$", omittingEmptySubsequences: false)
            // "", scheme, …
            guard fields.count >= 2, fields[0].isEmpty else { return nil }
            switch fields[1] {
            case "scrypt":
                guard fields.count == 5, let parameters = Self.parameters(fields[2]),
                    let logN = parameters["ln"], let r = parameters["r"], let p = parameters["p"],
                    ScryptParameters.isAcceptable(logN: logN, r: r, p: p),
                    let salt = Base64.decode(fields[3]), salt.count >= 16,
                    // Exactly 32: a truncated key would still match the first bytes of a longer derivation.
                    let key = Base64.decode(fields[4]), key.count == 32
                else { return nil }
                self = .scrypt(logN: logN, r: r, p: p, salt: salt, key: key)
            case "sha256-unsafe":
                guard fields.count == 4, let salt = Base64.decode(fields[2]), let digest = Base64.decode(fields[3]),
                    digest.count == 32
                else { return nil }
                self = .unsafeFastSHA256(salt: salt, digest: digest)
            default:
                return nil
            }
        } else if let header = MedusaScryptHash(base64: stored) {
            self = .medusa(header)
        } else {
            return nil
        }
    }

    /// `ln=15,r=8,p=1` → ["ln": 15, "r": 8, "p": 1]; nil if malformed or a key repeats.
    private static func parameters(_ text: Substring) -> [String: Int]? {
        var result: [String: Int] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let value = Int(parts[1]), result[String(parts[0])] == nil else { return nil }
            result[String(parts[0])] = value
        }
        return result
    }
}

/// Bounds and the call into swift-crypto's scrypt (BoringSSL's `EVP_PBE_scrypt`).
enum ScryptParameters {
    /// Most memory one derivation may take: 128 · N · r · p bytes must stay within it. A stored hash
    /// asking for more is refused rather than allowed to exhaust the process.
    static let memoryLimit = 256 * 1024 * 1024

    static func isAcceptable(logN: Int, r: Int, p: Int) -> Bool {
        guard (1...24).contains(logN), (1...16).contains(r), (1...16).contains(p) else { return false }
        return 128 * (1 << logN) * r * p <= memoryLimit
    }

    static func derive(password: [UInt8], salt: [UInt8], logN: Int, r: Int, p: Int, length: Int) throws -> [UInt8] {
        guard isAcceptable(logN: logN, r: r, p: p) else {
            throw PasswordHasher.Failure.unsupportedParameters("ln=\(logN),r=\(r),p=\(p)")
        }
        // BoringSSL needs 128 · r · (N + p + 1) bytes. swift-crypto 4.5.2 ignores the `maxMemory` argument
        // and allows 128 · N · r · p + one page, which covers that for every r ≤ 16 (hence the bound
        // above); the argument is still passed for a release that honours it.
        let key = try KDF.Scrypt.deriveKey(
            from: password, salt: salt, outputByteCount: length, rounds: 1 << logN, blockSize: r, parallelism: p,
            maxMemory: 128 * r * ((1 << logN) + p + 2))
        return key.withUnsafeBytes { Array($0) }
    }
}

/// Standard base64; encodes without padding, decodes with or without it.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var padded = String(text)
        while padded.utf8.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded).map { Array($0) }
    }
}
