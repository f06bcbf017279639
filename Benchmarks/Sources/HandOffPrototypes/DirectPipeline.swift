import CLibPQ
import Foundation
import Glibc
import Synchronization

/// Design B: the caller's own thread (the event loop, when the request's task runs there) sends its
/// statement on a non-blocking pipelined connection under that connection's lock: no thread is woken on the
/// way in. One reader thread per connection sleeps in poll() on the socket, reads whatever results arrived,
/// and resumes their callers (on their event loop): one hand-off on the way out.
final class DirectPipeline: PointReads {
    private let connections: [DirectConnection]

    init(url: String, connections: Int) throws {
        self.connections = try (0..<connections).map { try DirectConnection(url: url, name: "proto-reader-\($0)") }
    }

    func read(id: String) async throws -> ResultRows {
        // The connection with the fewest statements outstanding.
        var chosen = connections[0]
        for connection in connections.dropFirst() where connection.outstanding < chosen.outstanding {
            chosen = connection
        }
        let read = PendingRead(id: id)
        return try await withCheckedThrowingContinuation { continuation in
            read.attach(continuation)
            chosen.send(read)
        }
    }
}

final class DirectConnection: Sendable {
    private struct State {
        var inFlight: [PendingRead] = []
        var head = 0
        var rows: ResultRows?
        var needsFlush = false
    }

    private let handle: UnsafeSendableHandle
    private let state = Mutex(State())
    /// A pipe: its write end wakes the reader out of poll().
    private let wakeDescriptors: (read: Int32, write: Int32)
    private let count = Atomic<Int>(0)

    var outstanding: Int { count.load(ordering: .relaxed) }

    init(url: String, name: String) throws {
        handle = UnsafeSendableHandle(try openPipelinedConnection(url, nonBlocking: true))
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw PrototypeError(description: "pipe") }
        for end in ends { _ = fcntl(end, F_SETFL, O_NONBLOCK) }
        wakeDescriptors = (ends[0], ends[1])
        let thread = Thread { [self] in readLoop() }
        thread.name = name
        thread.start()
    }

    func send(_ read: PendingRead) {
        count.add(1, ordering: .relaxed)
        let wake = state.withLock { state -> Bool in
            state.inFlight.append(read)
            guard sendPointRead(handle.pointer, id: read.id) else { fatalError("send failed") }
            // PQpipelineSync flushed what it could; the rest waits for the socket (the reader's poll).
            if !state.needsFlush && PQflush(handle.pointer) == 1 {
                state.needsFlush = true
                return true
            }
            return false
        }
        if wake {
            var byte: UInt8 = 1
            _ = write(wakeDescriptors.write, &byte, 1)
        }
    }

    private func readLoop() {
        let socket = PQsocket(handle.pointer)
        while true {
            let needsFlush = state.withLock { $0.needsFlush }
            var descriptors = [
                pollfd(fd: socket, events: Int16(POLLIN) | (needsFlush ? Int16(POLLOUT) : 0), revents: 0),
                pollfd(fd: wakeDescriptors.read, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&descriptors, 2, -1) > 0 else { continue }
            if descriptors[1].revents != 0 {
                var bytes = [UInt8](repeating: 0, count: 64)
                _ = read(wakeDescriptors.read, &bytes, bytes.count)
            }
            var finished: [(PendingRead, ResultRows?)] = []
            state.withLock { state in
                if state.needsFlush && PQflush(handle.pointer) == 0 { state.needsFlush = false }
                guard descriptors[0].revents != 0 else { return }
                guard PQconsumeInput(handle.pointer) == 1 else { fatalError("connection lost") }
                var nulls = 0
                while state.head < state.inFlight.count && PQisBusy(handle.pointer) == 0 {
                    // A statement's results, then NULL, then its sync.
                    guard let result = PQgetResult(handle.pointer) else {
                        nulls += 1
                        if nulls > 2 { fatalError("lost track of the stream") }
                        continue
                    }
                    nulls = 0
                    switch PQresultStatus(result) {
                    case PGRES_PIPELINE_SYNC:
                        PQclear(result)
                        finished.append((state.inFlight[state.head], state.rows))
                        state.rows = nil
                        state.head += 1
                    case PGRES_TUPLES_OK:
                        state.rows = ResultRows(result)
                    default:
                        PQclear(result)
                    }
                }
                if state.head == state.inFlight.count {
                    state.inFlight.removeAll(keepingCapacity: true)
                    state.head = 0
                }
            }
            if finished.isEmpty { continue }
            count.subtract(finished.count, ordering: .relaxed)
            for (read, rows) in finished {
                if let rows { read.finish(.success(rows)) } else { read.finish(.failure(PrototypeError(description: "no rows"))) }
            }
        }
    }
}

/// The connection's handle; every use is under the connection's lock.
struct UnsafeSendableHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}
