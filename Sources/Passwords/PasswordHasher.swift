import Crypto
import CryptoExtras
import Foundation

/// Password hashes that describe themselves: `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64), so that the
/// cost can be raised later and old hashes still verify.
public struct PasswordHasher: Sendable {
    public enum Scheme: Sendable {
        case scrypt(logN: Int, r: Int, p: Int)
        /// One SHA-256 over salt and password: for benchmarks only, never for production.
        case unsafeFastSHA256
    }

    public let scheme: Scheme

    public init(scheme: Scheme = .scrypt(logN: 15, r: 8, p: 1)) { self.scheme = scheme }

    public func hash(_ password: String) throws -> String {
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        switch scheme {
        case .scrypt(let logN, let r, let p):
            let key = try Self.scrypt(password, salt: salt, logN: logN, r: r, p: p)
            return "$scrypt$ln=\(logN),r=\(r),p=\(p)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
        case .unsafeFastSHA256:
            let digest = SHA256.hash(data: salt + Array(password.utf8))
            return "$sha256-unsafe$\(Data(salt).base64EncodedString())$\(Data(digest).base64EncodedString())"
        }
    }

    static func scrypt(_ password: String, salt: [UInt8], logN: Int, r: Int, p: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << logN, blockSize: r,
            parallelism: p, maxMemory: 128 * (1 << logN) * r * p + 1024 * 1024)
        return key.withUnsafeBytes { Array($0) }
    }
}
