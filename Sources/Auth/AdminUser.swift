import Foundation
import Postgres

/// An admin user of the API, as the routes show it. Never carries the password hash or the API token.
public struct AdminUser: Sendable, Equatable {
    public var id: String
    public var email: String
    public var firstName: String?
    public var lastName: String?
    /// `admin`, `member` or `developer` (Medusa v1's roles).
    public var role: String
    public var metadata: JSONText?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var deletedAt: Timestamp?

    public init(
        id: String, email: String, firstName: String?, lastName: String?, role: String, metadata: JSONText?,
        createdAt: Timestamp, updatedAt: Timestamp, deletedAt: Timestamp?
    ) {
        self.id = id
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.role = role
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deletedAt = deletedAt
    }

    /// The columns `init(row:from:)` reads, in order, of `"user"` aliased as `u`.
    static let columns: SQL =
        "u.id, u.email, u.first_name, u.last_name, u.role, u.metadata, u.created_at, u.updated_at, u.deleted_at"
    static let columnCount = 9

    /// Reads `columns` starting at column `first`.
    init(row: Row, from first: Int = 0) throws {
        self.init(
            id: try row.decode(String.self, at: first),
            email: try row.decode(String.self, at: first + 1),
            firstName: try row.decode(String?.self, at: first + 2),
            lastName: try row.decode(String?.self, at: first + 3),
            role: try row.decode(String.self, at: first + 4),
            metadata: try row.decode(JSONText?.self, at: first + 5),
            createdAt: try row.decode(Timestamp.self, at: first + 6),
            updatedAt: try row.decode(Timestamp.self, at: first + 7),
            deletedAt: try row.decode(Timestamp?.self, at: first + 8))
    }
}

/// Emails are stored and compared trimmed and lower-cased, so `Admin@Example.com ` is `admin@example.com`.
func normalizedEmail(_ email: String) -> String {
    email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
}
