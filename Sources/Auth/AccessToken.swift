import Foundation
import JWTKit

/// The JWT of `POST /admin/auth/token`, as Medusa v1 issues it: HS256, payload
/// `{"user_id": …, "domain": "admin", "iat": …, "exp": …}`.
struct AccessTokenPayload: JWTPayload, Equatable {
    var userID: String
    var domain: String
    var issuedAt: IssuedAtClaim?  // Medusa sets it; not required
    var expiration: ExpirationClaim

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case domain
        case issuedAt = "iat"
        case expiration = "exp"
    }

    static let adminDomain = "admin"

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try expiration.verifyNotExpired()
        guard domain == Self.adminDomain else {
            throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "domain is not admin")
        }
    }
}

/// Signs and verifies admin access tokens with one HMAC-SHA256 key.
struct AccessTokens: Sendable {
    /// jwt-kit's key collection is an actor, filled asynchronously once.
    private let keys: Task<JWTKeyCollection, Never>
    let lifetime: Int

    init(secret: String, lifetime: Int) {
        keys = Task { await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256) }
        self.lifetime = lifetime
    }

    func issue(userID: String, now: Date = Date()) async throws -> String {
        let issued = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let payload = AccessTokenPayload(
            userID: userID, domain: AccessTokenPayload.adminDomain, issuedAt: IssuedAtClaim(value: issued),
            expiration: ExpirationClaim(value: issued.addingTimeInterval(Double(lifetime))))
        return try await keys.value.sign(payload)
    }

    /// The user id of a valid token: signed by our key with HS256 (the header must say so: `none` and
    /// every other algorithm are refused before any signature check), not expired, domain `admin`. Nil for
    /// anything else.
    func userID(of token: String) async -> String? {
        guard token.utf8.count <= 4096, Self.headerAlgorithm(of: token) == "HS256" else { return nil }
        guard let payload = try? await keys.value.verify(token, as: AccessTokenPayload.self) else { return nil }
        return payload.userID
    }

    private struct Header: Decodable {
        var alg: String
    }

    static func headerAlgorithm(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = base64URLDecode(parts[0]) else { return nil }
        return (try? JSONDecoder().decode(Header.self, from: header))?.alg
    }

    static func base64URLDecode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
