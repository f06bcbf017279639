import Postgres
import Testing

@testable import Auth

@Suite struct LoginTests {
    @Test func theRightPasswordLogsInWhateverTheEmailsCase() async throws {
        try await AuthFixture.with { (f) async throws in
            let created = try await f.users.create(email: "Admin@Example.com", password: "s3cret!", firstName: "Ada")
            let user = try await f.auth.login(email: "  ADMIN@example.COM ", password: "s3cret!", clientAddress: "10.0.0.1")
            #expect(user == created)
            #expect(user.email == "admin@example.com")
            #expect(user.firstName == "Ada")
            #expect(user.role == "admin")
        }
    }

    @Test func anUnknownEmailAndAWrongPasswordGiveTheSameErrorAndBothCount() async throws {
        try await AuthFixture.with { (f) async throws in
            try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let wrongPassword = await #expect(throws: AuthError.self) {
                try await f.auth.login(email: "admin@example.com", password: "nope", clientAddress: "10.0.0.1")
            }
            let unknownEmail = await #expect(throws: AuthError.self) {
                try await f.auth.login(email: "nobody@example.com", password: "s3cret!", clientAddress: "10.0.0.1")
            }
            #expect(wrongPassword == .invalidCredentials)
            #expect(unknownEmail == .invalidCredentials)
            #expect(try f.count("SELECT count(*)::int FROM login_failure WHERE address = '10.0.0.1'") == 2)
            #expect(try f.count("SELECT count(*)::int FROM login_failure WHERE email = 'nobody@example.com'") == 1)
        }
    }

    @Test func aDeletedUserCannotLogIn() async throws {
        try await AuthFixture.with { (f) async throws in
            try await f.users.create(email: "gone@example.com", password: "s3cret!")
            try await f.users.delete(email: "gone@example.com")
            await #expect(throws: AuthError.invalidCredentials) {
                try await f.auth.login(email: "gone@example.com", password: "s3cret!", clientAddress: "10.0.0.1")
            }
        }
    }

    @Test func aUserWithoutAPasswordCannotLogIn() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "invited@example.com", password: "s3cret!")
            _ = try f.sql("UPDATE \"user\" SET password_hash = NULL WHERE id = \(user.id)")
            await #expect(throws: AuthError.invalidCredentials) {
                try await f.auth.login(email: "invited@example.com", password: "s3cret!", clientAddress: "10.0.0.1")
            }
        }
    }

    /// A user imported from Medusa v1 keeps their password; the first login stores it in our scheme.
    @Test func aMedusaHashLogsInAndIsReplacedByTheCurrentScheme() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(email: "medusa@example.com", password: "placeholder")
            let medusaHash =
                "c2NyeXB0AAEAAAABAAAAAQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fRmO4DFmBBq0SdOiguek89xizriuxN4r79PIRUytkQ2MpV6lrSv9Ikn47WEx8S+Vv"
            _ = try f.sql("UPDATE \"user\" SET password_hash = \(medusaHash) WHERE id = \(user.id)")
            _ = try await f.auth.login(email: "medusa@example.com", password: "supersecret", clientAddress: "10.0.0.1")
            let stored = try f.sql("SELECT password_hash FROM \"user\" WHERE id = \(user.id)").first!.decode(String.self, at: 0)
            #expect(stored.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
            _ = try await f.auth.login(email: "medusa@example.com", password: "supersecret", clientAddress: "10.0.0.1")
        }
    }
}
