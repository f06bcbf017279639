import BlockingWork

/// Runs password hashing (tens of milliseconds of CPU at the default scrypt cost) on the process's
/// `BlockingPool`, never on one of the few threads of Swift's cooperative pool that every request needs, and
/// at most the pool's hashing slots at once in the process.
public struct PasswordHashing: Sendable {
    public let hasher: PasswordHasher
    private let blocking: BlockingPool

    public init(hasher: PasswordHasher, blocking: BlockingPool) {
        self.hasher = hasher
        self.blocking = blocking
    }

    public func hash(_ password: String) async throws -> String {
        let hasher = self.hasher
        // The benchmark-only scheme costs microseconds: not worth a thread hop.
        if case .unsafeFastSHA256 = hasher.scheme { return try hasher.hash(password) }
        return try await blocking.runHashing { try hasher.hash(password) }
    }
}
