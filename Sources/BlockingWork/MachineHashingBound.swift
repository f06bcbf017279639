import CShims
import Foundation
import Synchronization

/// At most `slots` password hashes (scrypt: tens of milliseconds of one core and 32 MiB each) at once on the
/// machine, across every worker process of `serve`, however many workers there are. The per-process bound
/// (`BlockingPool.hashingSlots(workers:)`) gives each worker at least one slot, so with more workers than
/// cores it alone would let `workers` hashes run at once.
///
/// A System V semaphore set, made by the `serve` master before it forks (one syscall: the master stays
/// without threads) and inherited by the workers, which take a slot with SEM_UNDO: the kernel gives back
/// what a process still holds when it dies, a worker SIGKILLed in the middle of a hash included. A POSIX
/// semaphore in shared memory has no such undo: a worker killed while holding a slot would lose it for
/// good. The set outlives its processes, so the master removes it (`remove()`) on every way out it
/// controls; after a SIGKILL of the master, `ipcrm -s` removes it.
///
/// Semaphore 0 holds the free slots. Semaphore 1 counts the hashes running on the machine, taken and given
/// back with SEM_UNDO as well, independently of semaphore 0, so that the bound can be observed
/// (`mostHashesAtOnce`, shown by `/debug/blocking`) rather than assumed.
public final class MachineHashingBound: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The most hashes at once on the machine.
    public let slots: Int
    /// The kernel's id of the semaphore set (for `ipcs -s`).
    public let semaphoreSet: Int32
    private let mostAtOnce = Atomic<Int>(0)

    private static let freeSlots: UInt16 = 0
    private static let running: UInt16 = 1

    /// Creates the set, private to this process and its children (IPC_PRIVATE, mode 0600).
    public init(slots: Int) throws {
        self.slots = min(max(1, slots), Int(Int16.max))
        let set = cshims_semaphore_set_create(Int32(self.slots))
        guard set >= 0 else {
            let reason = String(cString: strerror(errno))
            throw Failure(description: "cannot create the hashing semaphore set (semget): \(reason)")
        }
        semaphoreSet = set
    }

    /// Runs `body` (on the calling thread) once a slot is free, waiting in the kernel for it. If the set is
    /// gone (the master removed it on its way out), `body` runs without the bound rather than fail a login.
    func whileHolding<T>(_ body: () throws -> T) rethrows -> T {
        guard cshims_semaphore_change(semaphoreSet, Self.freeSlots, -1) == 0 else { return try body() }
        defer { _ = cshims_semaphore_change(semaphoreSet, Self.freeSlots, 1) }
        let counted = cshims_semaphore_change(semaphoreSet, Self.running, 1) == 0
        defer { if counted { _ = cshims_semaphore_change(semaphoreSet, Self.running, -1) } }
        if counted {
            // Read after this process's own increment: the hashes running on the machine at this instant.
            mostAtOnce.raise(toAtLeast: Int(cshims_semaphore_value(semaphoreSet, Int32(Self.running))))
        }
        return try body()
    }

    /// The most hashes this process saw running on the whole machine when one of its own started.
    public var mostHashesAtOnce: Int { mostAtOnce.load(ordering: .relaxed) }

    /// The slots free now (nil if the set is gone); `slots` when no hash runs.
    public var freeSlots: Int? {
        let value = cshims_semaphore_value(semaphoreSet, Int32(Self.freeSlots))
        return value < 0 ? nil : Int(value)
    }

    /// Removes the set; for the master, once its workers are gone.
    public func remove() {
        _ = cshims_semaphore_set_remove(semaphoreSet)
    }
}
