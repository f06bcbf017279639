import Foundation
import Passwords
import Postgres

/// Why a login was refused. The two cases are all a client may learn: an unknown email and a wrong
/// password are the same `invalidCredentials`.
public enum AuthError: Error, Equatable, Sendable {
    case invalidCredentials
    /// Too many failed logins for this email or from this address; try again after this many seconds.
    case throttled(retryAfterSeconds: Int)
}

/// Admin authentication: password login with throttling, sessions (cookie `clientele.sid`), JWT access
/// tokens and API tokens. Knows SQL and nothing of HTTP: the routes turn requests into these calls.
///
/// What is stored is never what is handed out: sessions by the SHA-256 of their 256-bit random id, API
/// tokens by their SHA-256, passwords as scrypt hashes. A soft-deleted user stops working everywhere at
/// once, because every lookup joins the live user row.
public final class AuthService: Sendable {
    let database: Database
    let configuration: AuthConfiguration
    let throttle: LoginThrottle
    let accessTokens: AccessTokens

    public init(database: Database, configuration: AuthConfiguration) {
        self.database = database
        self.configuration = configuration
        throttle = LoginThrottle(
            maxPerEmail: configuration.loginMaxFailures, maxPerAddress: configuration.loginMaxFailuresPerAddress,
            window: configuration.loginWindow)
        accessTokens = AccessTokens(secret: configuration.jwtSecret, lifetime: configuration.accessTokenTTL)
    }

    // MARK: Login

    /// Checks an email and password. Throws `.throttled` first when the email or the address has too many
    /// recent failures (see `LoginThrottle`), whatever the password. An unknown email, a deleted user, a
    /// user without a password and a wrong password all cost one password hash and one recorded failure,
    /// and throw the same `.invalidCredentials`, so neither the answer nor its time tells them apart. A
    /// correct password stored in an older scheme (Medusa's) is re-hashed in the current one.
    public func login(email: String, password: String, clientAddress: String) async throws -> AdminUser {
        let email = normalizedEmail(email)
        let result = try await database.query(
            """
            SELECT \(throttle.retryAfterSQL(email: email, address: clientAddress)), u.password_hash, \(AdminUser.columns)
              FROM (SELECT 1) AS one
              LEFT JOIN "user" u ON lower(u.email) = \(email) AND u.deleted_at IS NULL
            """)
        guard let row = result.first else { throw PostgresError(kind: .client, message: "login lookup returned no row") }
        if let retryAfter = try row.decode(Int?.self, at: 0) {
            throw AuthError.throttled(retryAfterSeconds: retryAfter)
        }
        let storedHash = try row.decode(String?.self, at: 1)
        let user = row.result.isNull(row: row.index, column: 2) ? nil : try AdminUser(row: row, from: 2)

        let hasher = configuration.passwordHasher
        let verified = try await database.blocking.runHashing { () -> Bool in
            guard let storedHash else {
                hasher.dummyVerify(password)
                return false
            }
            return hasher.verify(password, against: storedHash)
        }
        guard verified, let user, let storedHash else {
            try await throttle.recordFailure(email: email, address: clientAddress, in: database)
            throw AuthError.invalidCredentials
        }
        try await throttle.forgetFailures(email: email, in: database)
        if hasher.needsRehash(storedHash) {
            let newHash = try await database.blocking.runHashing { try hasher.hash(password) }
            // Only if the hash is still the one verified: a concurrent password change wins.
            try await database.query(
                """
                UPDATE "user" SET password_hash = \(newHash)
                 WHERE id = \(user.id) AND password_hash = \(storedHash)
                """)
        }
        return user
    }

    // MARK: Sessions

    /// Starts a session for `user`: the cookie value is 256 random bits (base64url); only its SHA-256 is
    /// stored. It works until `expiresAt` (SESSION_TTL from now), `endSession`, or the user's deletion.
    public func startSession(for user: AdminUser) async throws -> (cookieValue: String, expiresAt: Timestamp) {
        let cookieValue = SecretToken.make()
        let result = try await database.query(
            """
            INSERT INTO session (id_hash, user_id, expires_at)
            VALUES (\(SecretToken.digest(cookieValue)), \(user.id), now() + \(configuration.sessionTTL) * interval '1 second')
            RETURNING expires_at
            """)
        return (cookieValue, try result.first!.decode(Timestamp.self, at: 0))
    }

    /// Ends the session of this cookie, if any (logging out twice is not an error).
    public func endSession(cookieValue: String) async throws {
        try await database.query("DELETE FROM session WHERE id_hash = \(SecretToken.digest(cookieValue))")
    }

    // MARK: Who is calling (one statement each: these run on every request)

    /// The live user of an unexpired session, or nil.
    public func user(sessionCookie: String) async throws -> AdminUser? {
        guard Self.isPlausibleToken(sessionCookie) else { return nil }
        let result = try await database.query(
            """
            SELECT \(AdminUser.columns)
              FROM session s JOIN "user" u ON u.id = s.user_id
             WHERE s.id_hash = \(SecretToken.digest(sessionCookie)) AND s.expires_at > now() AND u.deleted_at IS NULL
            """)
        return try result.first.map { try AdminUser(row: $0) }
    }

    /// The live user named by a valid access token (see `AccessTokens.userID(of:)`), or nil.
    public func user(bearerToken: String) async throws -> AdminUser? {
        guard let userID = await accessTokens.userID(of: bearerToken) else { return nil }
        let result = try await database.query(
            "SELECT \(AdminUser.columns) FROM \"user\" u WHERE u.id = \(userID) AND u.deleted_at IS NULL")
        return try result.first.map { try AdminUser(row: $0) }
    }

    /// The live user whose API token this is, or nil.
    public func user(apiToken: String) async throws -> AdminUser? {
        guard Self.isPlausibleToken(apiToken) else { return nil }
        let result = try await database.query(
            """
            SELECT \(AdminUser.columns) FROM "user" u
             WHERE u.api_token = \(SecretToken.digest(apiToken)) AND u.deleted_at IS NULL
            """)
        return try result.first.map { try AdminUser(row: $0) }
    }

    // MARK: Access tokens

    /// A JWT for `user` (HS256, `{user_id, domain: "admin", iat, exp}`, valid for 24 h by default).
    /// Async because jwt-kit 5 signs through an actor.
    public func issueAccessToken(for user: AdminUser) async throws -> String {
        try await accessTokens.issue(userID: user.id)
    }

    // MARK: Upkeep

    /// Deletes expired sessions and login failures older than the window. Lookups already ignore them;
    /// this only keeps the tables small (for a periodic job).
    public func pruneExpired() async throws {
        try await database.query("DELETE FROM session WHERE expires_at <= now()")
        try await throttle.prune(in: database)
    }

    /// Empty or absurdly long values are not worth a query.
    static func isPlausibleToken(_ token: String) -> Bool {
        !token.isEmpty && token.utf8.count <= 1024
    }
}
