import Identifiers
import Postgres
import Testing

@testable import Auth

@Suite struct UserRepositoryTests {
    @Test func aNewUserHasAUsrULIDAndATrimmedLowerCasedEmail() async throws {
        try await AuthFixture.with { (f) async throws in
            let user = try await f.users.create(
                email: " Ada@Example.COM ", password: "s3cret!", firstName: "Ada", lastName: "Lovelace", role: "developer")
            #expect(user.id.hasPrefix("usr_"))
            #expect(ULID.milliseconds(of: String(user.id.dropFirst(4))) != nil)
            #expect(user.email == "ada@example.com")
            #expect((user.firstName, user.lastName, user.role) == ("Ada", "Lovelace", "developer"))
            #expect(user.metadata == nil && user.deletedAt == nil)
            #expect(user.createdAt == user.updatedAt)
            let hash = try f.sql("SELECT password_hash FROM \"user\"").first!.decode(String.self, at: 0)
            #expect(hash.hasPrefix("$scrypt$") && !hash.contains("s3cret!"))
        }
    }

    @Test func aDuplicateEmailIsItsOwnErrorWhateverTheCase() async throws {
        try await AuthFixture.with { (f) async throws in
            try await f.users.create(email: "admin@example.com", password: "s3cret!")
            await #expect(throws: UserRepository.Failure.duplicateEmail("admin@example.com")) {
                try await f.users.create(email: "ADMIN@example.com", password: "other")
            }
            #expect(UserRepository.Failure.duplicateEmail("a@b.c").description == "a user with email a@b.c already exists")
        }
    }

    @Test func aDuplicateAPITokenIsItsOwnError() async throws {
        try await AuthFixture.with { (f) async throws in
            try await f.users.create(email: "a@example.com", password: "s3cret!", apiToken: "same")
            await #expect(throws: UserRepository.Failure.duplicateAPIToken) {
                try await f.users.create(email: "b@example.com", password: "s3cret!", apiToken: "same")
            }
        }
    }

    @Test func badInputIsRefusedBeforeAnyWrite() async throws {
        try await AuthFixture.with { (f) async throws in
            await #expect(throws: UserRepository.Failure.invalidEmail("not-an-email")) {
                try await f.users.create(email: "not-an-email", password: "x")
            }
            await #expect(throws: UserRepository.Failure.emptyPassword) {
                try await f.users.create(email: "a@example.com", password: "")
            }
            await #expect(throws: UserRepository.Failure.invalidRole("root")) {
                try await f.users.create(email: "a@example.com", password: "x", role: "root")
            }
            #expect(try await f.users.list().isEmpty)
        }
    }

    @Test func listShowsLiveUsersOldestFirst() async throws {
        try await AuthFixture.with { (f) async throws in
            let first = try await f.users.create(email: "first@example.com", password: "x")
            let second = try await f.users.create(email: "second@example.com", password: "x")
            try await f.users.create(email: "third@example.com", password: "x")
            try await f.users.delete(email: "third@example.com")
            #expect(try await f.users.list() == [first, second])
        }
    }

    @Test func deletingIsSoftAndFreesTheEmail() async throws {
        try await AuthFixture.with { (f) async throws in
            try await f.users.create(email: "admin@example.com", password: "x")
            try await f.users.delete(email: "admin@example.com")
            await #expect(throws: UserRepository.Failure.noSuchUser("admin@example.com")) {
                try await f.users.delete(email: "admin@example.com")
            }
            #expect(try f.count("SELECT count(*)::int FROM \"user\" WHERE deleted_at IS NOT NULL") == 1)
            let again = try await f.users.create(email: "admin@example.com", password: "y")
            _ = try await f.auth.login(email: "admin@example.com", password: "y", clientAddress: "10.0.0.1")
            #expect(try await f.users.list() == [again])
        }
    }

    @Test func hasLiveAdminCountsOnlyLiveAdmins() async throws {
        try await AuthFixture.with { (f) async throws in
            #expect(try await !f.users.hasLiveAdmin())
            try await f.users.create(email: "member@example.com", password: "x", role: "member")
            #expect(try await !f.users.hasLiveAdmin())
            try await f.users.create(email: "admin@example.com", password: "x")
            #expect(try await f.users.hasLiveAdmin())
            try await f.users.delete(email: "admin@example.com")
            #expect(try await !f.users.hasLiveAdmin())
        }
    }
}

@Suite struct AuthConfigurationTests {
    @Test func aJWTSecretUnder32BytesIsRefusedWithAClearMessage() {
        #expect(throws: AuthConfiguration.Invalid.jwtSecretTooShort(bytes: 31)) {
            try AuthConfiguration(jwtSecret: String(repeating: "x", count: 31))
        }
        #expect(
            AuthConfiguration.Invalid.jwtSecretTooShort(bytes: 5).description
                == "JWT_SECRET must be at least 32 bytes long, got 5")
        #expect(throws: AuthConfiguration.Invalid.notPositive("LOGIN_MAX_FAILURES")) {
            try AuthConfiguration(jwtSecret: String(repeating: "x", count: 32), loginMaxFailures: 0)
        }
    }

    @Test func theDefaultsAreTheDocumentedOnes() throws {
        let configuration = try AuthConfiguration(jwtSecret: String(repeating: "x", count: 32))
        #expect(configuration.sessionTTL == 36_000)
        #expect(configuration.accessTokenTTL == 86_400)
        #expect(configuration.loginMaxFailures == 10)
        #expect(configuration.loginMaxFailuresPerAddress == 100)
        #expect(configuration.loginWindow == 900)
        #expect(configuration.passwordHasher.scheme == .scrypt(logN: 15, r: 8, p: 1))
    }
}
