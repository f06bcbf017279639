import Crypto
import Foundation

/// Random secrets handed to clients (session ids) and the digests we keep instead of them.
enum SecretToken {
    /// 256 random bits, base64url without padding (43 characters).
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()  // getrandom(2): a CSPRNG
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// SHA-256 of the UTF-8 text, lower-case hex: what `session.id_hash` and `user.api_token` hold. A
    /// lookup by digest needs no constant-time compare: the digest of a guess tells nothing of the secret.
    static func digest(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
