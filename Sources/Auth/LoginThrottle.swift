import Postgres

/// Login throttling over a sliding window, kept in `login_failure`. An attempt is refused (before any
/// password check) while the email has `maxPerEmail` failures, or the client address `maxPerAddress`
/// failures, within the last `window` seconds: so with the default 10, ten wrong passwords are answered
/// 401 and the eleventh attempt 429, whatever its password. Refused attempts are not recorded, so waiting
/// `retryAfter` seconds always helps. The check and the record are separate statements: concurrent attempts
/// may overshoot the limit by the number in flight, never by more.
struct LoginThrottle: Sendable {
    let maxPerEmail: Int
    let maxPerAddress: Int
    let window: Int

    /// Seconds until the email, or else the address, may try again: the oldest of the last `max` failures
    /// leaves the window then. Nil when neither is throttled. A scalar subquery, to join into a lookup.
    func retryAfterSQL(email: String, address: String) -> SQL {
        """
        greatest(
            (SELECT greatest(1, ceil(extract(epoch FROM f.failed_at + \(window) * interval '1 second' - now())))::int
               FROM login_failure f
              WHERE f.email = \(email) AND f.failed_at > now() - \(window) * interval '1 second'
              ORDER BY f.failed_at DESC OFFSET \(maxPerEmail - 1) LIMIT 1),
            (SELECT greatest(1, ceil(extract(epoch FROM f.failed_at + \(window) * interval '1 second' - now())))::int
               FROM login_failure f
              WHERE f.address = \(address) AND f.failed_at > now() - \(window) * interval '1 second'
              ORDER BY f.failed_at DESC OFFSET \(maxPerAddress - 1) LIMIT 1))
        """
    }

    /// Records one failed attempt, and prunes this email's and address's rows that left the window (so the
    /// table stays about as small as the window's traffic without a separate sweeper).
    func recordFailure(email: String, address: String, in database: Database) async throws {
        try await database.query(
            """
            WITH pruned AS (
                DELETE FROM login_failure
                 WHERE (email = \(email) OR address = \(address))
                   AND failed_at <= now() - \(window) * interval '1 second')
            INSERT INTO login_failure (email, address) VALUES (\(email), \(address))
            """)
    }

    /// After a successful login the email starts afresh (its address's count stays).
    func forgetFailures(email: String, in database: Database) async throws {
        try await database.query("DELETE FROM login_failure WHERE email = \(email)")
    }

    /// Deletes every failure older than the window (for a periodic sweep).
    func prune(in database: Database) async throws {
        try await database.query("DELETE FROM login_failure WHERE failed_at <= now() - \(window) * interval '1 second'")
    }
}
