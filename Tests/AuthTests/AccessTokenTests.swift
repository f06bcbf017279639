import Crypto
import Foundation
import Postgres
import Testing

@testable import Auth

@Suite struct AccessTokenTests {
    static func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decodeJSON(_ part: Substring) throws -> [String: Any] {
        let data = try #require(AccessTokens.base64URLDecode(part))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// A token signed with HS256 and `secret`, for payloads our code would never issue.
    static func forge(header: String = #"{"alg":"HS256","typ":"JWT"}"#, payload: String, secret: String) -> String {
        let input = base64URL(Data(header.utf8)) + "." + base64URL(Data(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return input + "." + base64URL(Data(mac))
    }

    @Test func anIssuedTokenIsAMedusaShapedJWTThatFindsItsUser() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let token = try await f.auth.issueAccessToken(for: user)
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            #expect(parts.count == 3)
            let header = try Self.decodeJSON(parts[0])
            #expect(header["alg"] as? String == "HS256")
            let payload = try Self.decodeJSON(parts[1])
            #expect(payload["user_id"] as? String == user.id)
            #expect(payload["domain"] as? String == "admin")
            let exp = try #require(payload["exp"] as? Double)
            let iat = try #require(payload["iat"] as? Double)
            #expect(exp - iat == 86_400)
            #expect(abs(iat - Date().timeIntervalSince1970) < 60)
            #expect(try await f.auth.user(bearerToken: token) == user)
        }
    }

    @Test func anExpiredTokenFindsNoOne() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let token = try await f.auth.accessTokens.issue(userID: user.id, now: Date().addingTimeInterval(-86_401))
            #expect(try await f.auth.user(bearerToken: token) == nil)
        }
    }

    @Test func aTokenSignedWithAnotherSecretFindsNoOne() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let other = AccessTokens(secret: "another-secret-that-is-long-enough-000000", lifetime: 3600)
            #expect(try await f.auth.user(bearerToken: try await other.issue(userID: user.id)) == nil)
            // The same secret by our own hand does verify: the forging helper is sound.
            let exp = Int(Date().timeIntervalSince1970) + 60
            let good = Self.forge(payload: #"{"user_id":"\#(user.id)","domain":"admin","exp":\#(exp)}"#, secret: AuthFixture.secret)
            #expect(try await f.auth.user(bearerToken: good) == user)
        }
    }

    @Test func algNoneIsRefused() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let exp = Int(Date().timeIntervalSince1970) + 3600
            let header = Self.base64URL(Data(#"{"alg":"none","typ":"JWT"}"#.utf8))
            let payload = Self.base64URL(Data(#"{"user_id":"\#(user.id)","domain":"admin","exp":\#(exp)}"#.utf8))
            let valid = try await f.auth.issueAccessToken(for: user)
            let validSignature = valid.split(separator: ".")[2]
            for token in ["\(header).\(payload).", "\(header).\(payload)", "\(header).\(payload).\(validSignature)"] {
                #expect(try await f.auth.user(bearerToken: token) == nil, "\(token)")
            }
            // Other algorithms named in the header are refused too, even with a signature by our key.
            let hs512 = Self.forge(
                header: #"{"alg":"HS512","typ":"JWT"}"#,
                payload: #"{"user_id":"\#(user.id)","domain":"admin","exp":\#(exp)}"#, secret: AuthFixture.secret)
            #expect(try await f.auth.user(bearerToken: hs512) == nil)
        }
    }

    @Test func aTamperedPayloadIsRefused() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let victim = try await f.users.create(email: "victim@example.com", password: "s3cret!")
            let token = try await f.auth.issueAccessToken(for: user)
            let parts = token.split(separator: ".").map(String.init)
            let original = String(decoding: try #require(AccessTokens.base64URLDecode(Substring(parts[1]))), as: UTF8.self)
            let changed = original.replacingOccurrences(of: user.id, with: victim.id)
            #expect(changed != original)
            let tampered = [parts[0], Self.base64URL(Data(changed.utf8)), parts[2]].joined(separator: ".")
            #expect(try await f.auth.user(bearerToken: tampered) == nil)
            // A changed signature byte too.
            var signature = Array(parts[2])
            signature[5] = signature[5] == "A" ? "B" : "A"
            #expect(try await f.auth.user(bearerToken: [parts[0], parts[1], String(signature)].joined(separator: ".")) == nil)
        }
    }

    @Test func aTokenOfAnotherDomainIsRefused() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let exp = Int(Date().timeIntervalSince1970) + 3600
            let store = Self.forge(payload: #"{"user_id":"\#(user.id)","domain":"store","exp":\#(exp)}"#, secret: AuthFixture.secret)
            let noExpiry = Self.forge(payload: #"{"user_id":"\#(user.id)","domain":"admin"}"#, secret: AuthFixture.secret)
            #expect(try await f.auth.user(bearerToken: store) == nil)
            #expect(try await f.auth.user(bearerToken: noExpiry) == nil)
        }
    }

    @Test func garbageIsNoOne() async throws {
        try await AuthFixture.with { (f) async throws in
            for token in ["", "abc", "a.b.c", "...", String(repeating: "x", count: 10_000)] {
                #expect(try await f.auth.user(bearerToken: token) == nil, "\(token)")
            }
        }
    }
}
