import Foundation
import Identifiers
import Passwords
import Postgres

/// Creates, lists and deletes admin users (the `clientele user` commands and `migrate`'s first admin).
public struct UserRepository: Sendable {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case duplicateEmail(String)
        case duplicateAPIToken
        case invalidEmail(String)
        case emptyPassword
        case emptyAPIToken
        case invalidRole(String)
        case noSuchUser(String)

        public var description: String {
            switch self {
            case .duplicateEmail(let email): return "a user with email \(email) already exists"
            case .duplicateAPIToken: return "another user already has this API token"
            case .invalidEmail(let email): return "\"\(email)\" is not an email address"
            case .emptyPassword: return "the password must not be empty"
            case .emptyAPIToken: return "the API token must not be empty"
            case .invalidRole(let role): return "role must be admin, member or developer, got \"\(role)\""
            case .noSuchUser(let email): return "no user with email \(email)"
            }
        }
    }

    public static let roles = ["admin", "member", "developer"]

    let database: Database
    let passwordHasher: PasswordHasher

    public init(database: Database, passwordHasher: PasswordHasher = PasswordHasher()) {
        self.database = database
        self.passwordHasher = passwordHasher
    }

    /// Creates a user with a hashed password and, if given, the SHA-256 of an API token. The email is
    /// stored trimmed and lower-cased; one live user per email (`.duplicateEmail`).
    @discardableResult
    public func create(
        email: String, password: String, apiToken: String? = nil, firstName: String? = nil, lastName: String? = nil,
        role: String = "admin"
    ) async throws -> AdminUser {
        let email = normalizedEmail(email)
        guard Self.looksLikeEmail(email) else { throw Failure.invalidEmail(email) }
        guard !password.isEmpty else { throw Failure.emptyPassword }
        if let apiToken, apiToken.isEmpty { throw Failure.emptyAPIToken }
        guard Self.roles.contains(role) else { throw Failure.invalidRole(role) }
        let hasher = passwordHasher
        let hash = try await database.blocking.runHashing { try hasher.hash(password) }
        do {
            let result = try await database.query(
                """
                INSERT INTO "user" AS u (id, email, first_name, last_name, password_hash, api_token, role)
                VALUES (\(makeID(prefix: "usr")), \(email), \(firstName), \(lastName), \(hash),
                        \(apiToken.map(SecretToken.digest)), \(role))
                RETURNING \(AdminUser.columns)
                """)
            return try AdminUser(row: result.first!)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw error.constraint == "user_api_token_unique" ? Failure.duplicateAPIToken : Failure.duplicateEmail(email)
        }
    }

    /// Live users, oldest first.
    public func list() async throws -> [AdminUser] {
        try await database.query(
            "SELECT \(AdminUser.columns) FROM \"user\" u WHERE u.deleted_at IS NULL ORDER BY u.created_at, u.id"
        ).rows.map { try AdminUser(row: $0) }
    }

    /// Soft-deletes the live user with this email and ends their sessions, in one statement; their JWTs
    /// and API token stop working too, since every lookup requires a live user.
    @discardableResult
    public func delete(email: String) async throws -> AdminUser {
        let email = normalizedEmail(email)
        let result = try await database.query(
            """
            WITH deleted AS (
                UPDATE "user" u SET deleted_at = now(), updated_at = now()
                 WHERE lower(u.email) = \(email) AND u.deleted_at IS NULL
                RETURNING \(AdminUser.columns)),
            ended AS (DELETE FROM session WHERE user_id IN (SELECT id FROM deleted))
            SELECT * FROM deleted
            """)
        guard let row = result.first else { throw Failure.noSuchUser(email) }
        return try AdminUser(row: row)
    }

    /// Whether any live user has the role `admin` (`migrate` creates the first one only when none does).
    public func hasLiveAdmin() async throws -> Bool {
        try await database.query(
            "SELECT EXISTS (SELECT 1 FROM \"user\" WHERE role = 'admin' AND deleted_at IS NULL)"
        ).first!.decode(Bool.self, at: 0)
    }

    /// Something, one @, something, and no spaces: a typo guard, not a validator.
    static func looksLikeEmail(_ email: String) -> Bool {
        guard let at = email.firstIndex(of: "@"), at != email.startIndex else { return false }
        let domain = email[email.index(after: at)...]
        return !domain.isEmpty && !domain.contains("@") && !email.contains(where: \.isWhitespace)
    }
}
