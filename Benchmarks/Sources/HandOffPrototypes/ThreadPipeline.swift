import CLibPQ
import Foundation

/// Today's product design (Sources/Postgres/Pipeline.swift before issue 19): callers queue their statement
/// and wake a dedicated thread (NSCondition); each thread owns one connection in pipeline mode, takes whatever
/// is queued (up to 64), sends it, reads every result of the batch, resumes each caller, and only then takes
/// the next batch.
final class ThreadPipeline: PointReads, @unchecked Sendable {  // queue state guarded by `condition`
    private let condition = NSCondition()
    private var queue: [PendingRead] = []

    init(url: String, connections: Int) throws {
        for index in 0..<connections {
            let handle = UnsafeSendableHandle(try openPipelinedConnection(url, nonBlocking: false))
            let thread = Thread { [self] in run(handle.pointer) }
            thread.name = "proto-pipeline-\(index)"
            thread.start()
        }
    }

    func read(id: String) async throws -> ResultRows {
        let read = PendingRead(id: id)
        return try await withCheckedThrowingContinuation { continuation in
            read.attach(continuation)
            condition.lock()
            queue.append(read)
            condition.signal()
            condition.unlock()
        }
    }

    private func takeBatch() -> [PendingRead] {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty { condition.wait() }
        let count = min(64, queue.count)
        let batch = Array(queue.prefix(count))
        queue.removeFirst(count)
        return batch
    }

    private func run(_ handle: OpaquePointer) {
        while true {
            let batch = takeBatch()
            for read in batch where !sendPointRead(handle, id: read.id) {
                fatalError("send failed: \(String(cString: PQerrorMessage(handle)))")
            }
            for read in batch {
                var rows: ResultRows?
                // Blocking connection: PQgetResult waits. A statement's results end with NULL, then its sync.
                while let result = PQgetResult(handle) {
                    if PQresultStatus(result) == PGRES_TUPLES_OK { rows = ResultRows(result) } else { PQclear(result) }
                }
                if let sync = PQgetResult(handle) { PQclear(sync) }
                if let rows { read.finish(.success(rows)) } else { read.finish(.failure(PrototypeError(description: "no rows"))) }
            }
        }
    }
}
