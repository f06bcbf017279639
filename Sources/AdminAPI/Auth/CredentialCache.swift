import Auth
import Dispatch
import Synchronization

/// Remembers, for at most `ttl` seconds, which admin user a bearer token or an API token belongs to, so
/// that a client sending many requests costs one user lookup a second instead of one per request.
/// The price: a user deleted (or a token revoked) in the database is refused at most `ttl` seconds
/// later by a worker that had just seen the token. Session cookies are never cached (a logout must work
/// on the next request). `AUTH_CACHE_TTL=0` turns the cache off.
final class CredentialCache: Sendable {
    private struct Entry {
        let user: AdminUser
        let expires: UInt64
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let ttlNanoseconds: UInt64
    private let capacity: Int

    init(ttl: Double, capacity: Int = 10_000) {
        ttlNanoseconds = UInt64(max(0, ttl) * 1e9)
        self.capacity = capacity
    }

    /// The cached user of `key`, or what `lookup` finds (which is then cached if it is a user).
    func user(for key: String, lookup: () async throws -> AdminUser?) async throws -> AdminUser? {
        guard ttlNanoseconds > 0 else { return try await lookup() }
        let now = DispatchTime.now().uptimeNanoseconds
        if let entry = entries.withLock({ $0[key] }), entry.expires > now { return entry.user }
        guard let user = try await lookup() else { return nil }
        entries.withLock { entries in
            // Bounded: a flood of distinct tokens empties the cache instead of growing it.
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(user: user, expires: now + ttlNanoseconds)
        }
        return user
    }
}
