import Postgres
import Testing

@testable import Auth

@Suite struct APITokenTests {
    @Test func anAPITokenFindsItsUserAndOnlyItsSHA256IsStored() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "dev@example.com", password: "s3cret!", apiToken: "tok_0123456789")
            #expect(try await f.auth.user(apiToken: "tok_0123456789") == user)
            let stored = try f.sql("SELECT api_token FROM \"user\"").first!.decode(String.self, at: 0)
            #expect(stored.count == 64 && stored != "tok_0123456789")
            #expect(try f.count("SELECT count(*)::int FROM \"user\" WHERE api_token = encode(sha256('tok_0123456789'), 'hex')") == 1)
        }
    }

    @Test func aWrongAPITokenFindsNoOne() async throws {
        try await AuthFixture.with { (f) async throws in
            try await f.users.create(email: "dev@example.com", password: "s3cret!", apiToken: "tok_0123456789")
            try await f.users.create(email: "nobody@example.com", password: "s3cret!")
            for token in ["", "tok_012345678", "TOK_0123456789", "tok_0123456789 "] {
                #expect(try await f.auth.user(apiToken: token) == nil, "\(token)")
            }
        }
    }
}

@Suite struct DeletedUserTests {
    /// Deleting a user ends every way in at once: session, JWT, API token and password.
    @Test func aDeletedUsersSessionJWTAndAPITokenAllStopWorking() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "admin@example.com", password: "s3cret!", apiToken: "tok_gone")
            let keeper = try await f.users.create(email: "keeper@example.com", password: "s3cret!")
            let (cookie, _) = try await f.auth.startSession(for: user)
            let (keeperCookie, _) = try await f.auth.startSession(for: keeper)
            let token = try await f.auth.issueAccessToken(for: user)
            #expect(try await f.auth.user(sessionCookie: cookie) == user)
            #expect(try await f.auth.user(bearerToken: token) == user)
            #expect(try await f.auth.user(apiToken: "tok_gone") == user)

            let deleted = try await f.users.delete(email: "ADMIN@example.com")
            #expect(deleted.deletedAt != nil)
            #expect(try await f.auth.user(sessionCookie: cookie) == nil)
            #expect(try await f.auth.user(bearerToken: token) == nil)
            #expect(try await f.auth.user(apiToken: "tok_gone") == nil)
            #expect(try f.count("SELECT count(*)::int FROM session WHERE user_id = \(user.id)") == 0)
            // Others are untouched.
            #expect(try await f.auth.user(sessionCookie: keeperCookie) == keeper)
        }
    }
}
