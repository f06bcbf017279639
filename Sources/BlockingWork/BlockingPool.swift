import Foundation
import NIOPosix
import Synchronization

/// The one place a process runs blocking calls: libpq on a leased connection, connecting, password hashing,
/// mail delivery; whatever must not run on an event loop or on Swift's cooperative pool, which has one
/// thread per core: a call that blocks there stalls a share of the whole server. One per process, made by
/// the process after fork (the `serve` master never starts a thread) and handed to whoever needs it
/// (`Database.blocking`); bounded: at most `threads` calls run at once, the others wait their turn in order.
/// Threads that own a connection for their whole life (a pipeline's reader, the LISTEN thread) are not
/// calls that return, and keep their own thread.
///
/// A thin wrapper over NIO's `NIOThreadPool`, so that modules that block share one pool without importing
/// NIO themselves.
public final class BlockingPool: Sendable {
    public let threads: Int
    private let pool: NIOThreadPool
    private let hashes: WorkSlots
    private let hashesRunning = Atomic<Int>(0)
    private let hashesMostAtOnce = Atomic<Int>(0)
    /// The bound on hashes across the processes of `serve`, if this process is one of its workers.
    public let machineHashing: MachineHashingBound?

    /// `hashingSlots`: most password hashes (scrypt: tens of milliseconds of one core and 32 MiB each) that
    /// run at once in this process (`runHashing`); see `hashingSlots(workers:)`. They are counted in
    /// `threads`. `machineHashing`: the machine-wide bound each hash also takes, on its thread.
    public init(threads: Int, hashingSlots: Int = 1, machineHashing: MachineHashingBound? = nil) {
        hashes = WorkSlots(count: hashingSlots)
        self.machineHashing = machineHashing
        self.threads = max(1, threads)
        pool = NIOThreadPool(numberOfThreads: self.threads)
        pool.start()
    }

    /// The password hashes one process of `workers` may run at once: cores ÷ workers, at least one, so that
    /// no worker takes more than its share of the cores and only that many of its threads ever wait for the
    /// machine-wide bound. With more workers than cores that alone would allow `workers` hashes at once:
    /// `MachineHashingBound` keeps the workers of `serve` together to the cores' worth.
    public static func hashingSlots(workers: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        max(1, cores / max(1, workers))
    }

    /// Runs `body` on one of the pool's threads and returns its result to the awaiting task. Not cancelled
    /// by the task's cancellation: `body` decides what a cancellation means for the call it makes (a libpq
    /// statement sends a cancel request, a mail transfer aborts). NIO's cancellable variant keeps the id of
    /// every work item cancelled while it runs, for the life of the pool.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            pool.submit { _ in continuation.resume(with: Result(catching: body)) }
        }
    }

    /// `run` for a password hash or verification: at most `hashingSlots` at once in the process, the
    /// others wait for a slot without holding a thread (a caller cancelled while it waits, its client gone,
    /// gets `CancellationError` at once and hashes nothing); then, on the pool's thread, a slot of
    /// `machineHashing` if there is one (waiting in the kernel while the other workers hold them all).
    public func runHashing<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await hashes.acquire()
        defer { hashes.release() }
        return try await run { [self] in
            guard let machineHashing else { return try countedHash(body) }
            return try machineHashing.whileHolding { try countedHash(body) }
        }
    }

    /// Runs `body`, counted in `mostHashesAtOnce`.
    private func countedHash<T>(_ body: () throws -> T) throws -> T {
        hashesMostAtOnce.raise(toAtLeast: hashesRunning.add(1, ordering: .relaxed).newValue)
        defer { hashesRunning.subtract(1, ordering: .relaxed) }
        return try body()
    }

    /// The most hashing slots this process may use at once.
    public var hashingSlots: Int { hashes.count }

    /// The most hashes that ever ran at once in this process, counted on the threads that ran them (what
    /// the bound promises; `/debug/blocking` shows it to the tests).
    public var mostHashesAtOnce: Int { hashesMostAtOnce.load(ordering: .relaxed) }

    /// Lets the calls already submitted finish, then stops the threads.
    public func shutdown() {
        pool.shutdownGracefully { _ in }
    }
}

extension Atomic where Value == Int {
    /// Raises a high-water mark to `value` if it is lower.
    func raise(toAtLeast value: Int) {
        var seen = load(ordering: .relaxed)
        while value > seen {
            let (exchanged, original) = compareExchange(expected: seen, desired: value, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }
}
