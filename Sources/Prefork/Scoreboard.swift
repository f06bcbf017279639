import CShims
import Glibc

/// Memory shared by the master and all its workers, mapped before the first fork: one entry per worker
/// process, written by the worker and read by the master. The master learns from it that a worker serves
/// (its `ready` flag) and that it is alive (its heartbeat, written from the worker's event loop, so a hung
/// loop or a stopped process stops it).
// @unchecked: the pointer is to shared memory touched only through C atomics (CShims); the rest is immutable.
public final class Scoreboard: @unchecked Sendable {
    public static let capacity = 256
    static let wordsPerEntry = 8
    private let base: UnsafeMutablePointer<UInt64>

    enum Word: Int {
        case pid = 0
        case heartbeat = 1
        case ready = 2
        case requests = 3
        case listenerClosed = 4
    }

    public init() {
        let size = Self.capacity * Self.wordsPerEntry * MemoryLayout<UInt64>.size
        let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
        guard let memory, memory != MAP_FAILED else { fatalError("cannot map the scoreboard: \(String(cString: strerror(errno)))") }
        base = memory.bindMemory(to: UInt64.self, capacity: Self.capacity * Self.wordsPerEntry)
        base.initialize(repeating: 0, count: Self.capacity * Self.wordsPerEntry)
    }

    public func entry(_ index: Int) -> ScoreboardEntry {
        precondition(index >= 0 && index < Self.capacity)
        return ScoreboardEntry(base: base + index * Self.wordsPerEntry)
    }
}

/// One worker's entry of the scoreboard.
// @unchecked: a pointer into the shared scoreboard, read and written only through C atomics.
public struct ScoreboardEntry: @unchecked Sendable {
    let base: UnsafeMutablePointer<UInt64>

    private func load(_ word: Scoreboard.Word) -> UInt64 { cshims_load_u64(base + word.rawValue) }
    private func store(_ word: Scoreboard.Word, _ value: UInt64) { cshims_store_u64(base + word.rawValue, value) }

    func reset(pid: Int32) {
        store(.ready, 0)
        store(.requests, 0)
        store(.listenerClosed, 0)
        store(.heartbeat, monotonicNanoseconds())
        store(.pid, UInt64(pid))
    }

    /// Called by the worker once it accepts connections.
    public func markReady() { store(.ready, 1) }
    public var isReady: Bool { load(.ready) == 1 }

    /// Called by a draining worker once it has closed its listening channel: from then on it accepts
    /// nothing, and a replacement can take the socket without two processes accepting on it.
    public func markListenerClosed() { store(.listenerClosed, 1) }
    public var isListenerClosed: Bool { load(.listenerClosed) == 1 }

    /// Called by the worker's event loop, about once a second.
    public func beat() { store(.heartbeat, monotonicNanoseconds()) }
    public var lastHeartbeat: UInt64 { load(.heartbeat) }

    public func countRequest() -> UInt64 { cshims_add_u64(base + Scoreboard.Word.requests.rawValue, 1) }
    public var requests: UInt64 { load(.requests) }
}
