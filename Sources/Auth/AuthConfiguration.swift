import Passwords

/// Settings of admin authentication (environment: JWT_SECRET, SESSION_TTL, LOGIN_MAX_FAILURES,
/// LOGIN_MAX_FAILURES_PER_ADDRESS). Durations are whole seconds.
public struct AuthConfiguration: Sendable {
    public enum Invalid: Error, CustomStringConvertible, Equatable {
        case jwtSecretTooShort(bytes: Int)
        case notPositive(String)

        public var description: String {
            switch self {
            case .jwtSecretTooShort(let bytes):
                return "JWT_SECRET must be at least 32 bytes long, got \(bytes)"
            case .notPositive(let name):
                return "\(name) must be a positive whole number"
            }
        }
    }

    /// Signs and verifies admin JWTs (HS256). At least 32 bytes: HMAC-SHA256 keys shorter than the
    /// digest weaken it.
    public let jwtSecret: String
    /// How long a session cookie works after login.
    public var sessionTTL: Int
    /// How long a JWT from `POST /admin/auth/token` works (Medusa v1: 24 h).
    public var accessTokenTTL: Int
    /// Failed logins for one email within `loginWindow` after which further attempts are refused.
    public var loginMaxFailures: Int
    /// Failed logins from one client address within `loginWindow` after which further attempts are refused.
    public var loginMaxFailuresPerAddress: Int
    /// The sliding window of login throttling.
    public var loginWindow: Int
    public var passwordHasher: PasswordHasher

    public init(
        jwtSecret: String, sessionTTL: Int = 36_000, accessTokenTTL: Int = 86_400, loginMaxFailures: Int = 10,
        loginMaxFailuresPerAddress: Int = 100, loginWindow: Int = 900, passwordHasher: PasswordHasher = PasswordHasher()
    ) throws {
        guard jwtSecret.utf8.count >= 32 else { throw Invalid.jwtSecretTooShort(bytes: jwtSecret.utf8.count) }
        for (name, value) in [
            ("SESSION_TTL", sessionTTL), ("accessTokenTTL", accessTokenTTL), ("LOGIN_MAX_FAILURES", loginMaxFailures),
            ("LOGIN_MAX_FAILURES_PER_ADDRESS", loginMaxFailuresPerAddress), ("loginWindow", loginWindow),
        ] where value < 1 {
            throw Invalid.notPositive(name)
        }
        self.jwtSecret = jwtSecret
        self.sessionTTL = sessionTTL
        self.accessTokenTTL = accessTokenTTL
        self.loginMaxFailures = loginMaxFailures
        self.loginMaxFailuresPerAddress = loginMaxFailuresPerAddress
        self.loginWindow = loginWindow
        self.passwordHasher = passwordHasher
    }
}
