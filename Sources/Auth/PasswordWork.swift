import Dispatch
import Foundation

/// Runs password hashing (about 0.1 s of CPU and 32 MiB each at the default cost) on threads of its own,
/// never on Swift's cooperative pool, where it would stall every other request of the process. At most one
/// hash per core runs at once; more wait their turn.
enum PasswordWork {
    private static let queue = DispatchQueue(label: "clientele.password-hashing", attributes: .concurrent)
    private static let slots = DispatchSemaphore(value: max(1, ProcessInfo.processInfo.activeProcessorCount))

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                slots.wait()
                defer { slots.signal() }
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
