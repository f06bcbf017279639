/// Every secret and admin password Clientele's repository publishes, or once published: defaults and examples
/// of docker-compose.yml and .env.example, and the tests' fixtures. Anyone can read them, so `serve`,
/// `migrate` and `secrets` refuse them (`Environment.secret`).
///
/// Tests/api/test_secrets.py compares `current` with what the repository's files assign to JWT_SECRET,
/// ADMIN_PASSWORD, POSTGRES_PASSWORD and DB_PASSWORD: publish a new value and that test names it for this list.
/// A value removed from the files moves to `former`, never out: users' copies keep it.
enum PublishedSecrets {
    /// In the repository's files today: the admin passwords of the process tests' fixtures (and of Medusa's
    /// seeders, which its ported tests use).
    static let current: Set<String> = [
        "api-tests-password-123",
        "hardening-Pa55word-7f3a9c",
        "page-admin-password-1",
        "secret_password",
        "speed-admin-password-1",
    ]

    /// Published by earlier versions: docker-compose.yml's and .env.example's defaults for JWT_SECRET,
    /// ADMIN_PASSWORD and POSTGRES_PASSWORD (the deployment now generates its own), and the tests' JWT secret.
    static let former: Set<String> = [
        "change-me-this-placeholder-secret-is-public-0123456789",
        "change-me-admin-password",
        "clientele",
        "test-secret-that-is-long-enough-0123456789",
    ]

    static func contains(_ value: String) -> Bool {
        current.contains(value) || former.contains(value)
    }
}
