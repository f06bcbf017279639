import Postgres
import Testing

@testable import Auth

@Suite struct SessionTests {
    @Test func aSessionCookieFindsItsUserUntilItEnds() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let before = Timestamp.now()
            let (cookie, expiresAt) = try await f.auth.startSession(for: user)
            #expect(cookie.count == 43)  // 256 bits, base64url without padding
            #expect(cookie.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            let ttl = Double(expiresAt.microsecondsSinceEpoch - before.microsecondsSinceEpoch) / 1_000_000
            #expect(abs(ttl - 36_000) < 60)
            #expect(try await f.auth.user(sessionCookie: cookie) == user)

            try await f.auth.endSession(cookieValue: cookie)
            #expect(try await f.auth.user(sessionCookie: cookie) == nil)
            try await f.auth.endSession(cookieValue: cookie)  // twice is fine
        }
    }

    @Test func onlyTheSHA256OfTheCookieIsStored() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let (cookie, _) = try await f.auth.startSession(for: user)
            let stored = try f.sql("SELECT id_hash FROM session").first!.decode(String.self, at: 0)
            #expect(stored != cookie)
            #expect(stored.count == 64)
            #expect(try f.count("SELECT count(*)::int FROM session WHERE id_hash = encode(sha256(convert_to(\(cookie), 'UTF8')), 'hex')") == 1)
        }
    }

    @Test func anExpiredSessionFindsNoOne() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let (cookie, _) = try await f.auth.startSession(for: user)
            _ = try f.sql("UPDATE session SET expires_at = now() - interval '1 second'")
            #expect(try await f.auth.user(sessionCookie: cookie) == nil)
        }
    }

    @Test func unknownAndMalformedCookiesFindNoOne() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let (cookie, _) = try await f.auth.startSession(for: user)
            for value in ["", String(cookie.dropLast()), cookie + "x", String(repeating: "a", count: 5000), "' OR 1=1 --"] {
                #expect(try await f.auth.user(sessionCookie: value) == nil, "\(value)")
            }
        }
    }
}
