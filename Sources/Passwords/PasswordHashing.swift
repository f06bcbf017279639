import Dispatch

/// Runs password hashing (tens of milliseconds of CPU at the default scrypt cost) on threads of its own,
/// so that it never holds one of the few threads of Swift's cooperative pool that every request needs.
public final class PasswordHashing: Sendable {
    public let hasher: PasswordHasher
    private let queue = DispatchQueue(label: "password-hashing", attributes: .concurrent)

    public init(hasher: PasswordHasher) { self.hasher = hasher }

    public func hash(_ password: String) async throws -> String {
        let hasher = self.hasher
        // The benchmark-only scheme costs microseconds: not worth a thread hop.
        if case .unsafeFastSHA256 = hasher.scheme { return try hasher.hash(password) }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try hasher.hash(password) }) }
        }
    }
}
