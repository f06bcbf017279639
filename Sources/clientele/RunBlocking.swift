import BlockingWork
import Dispatch
import Foundation
import Glibc
import Postgres

/// Runs async work from a synchronous command and waits for it. The root command is synchronous on
/// purpose (`serve` forks before any thread exists); one-shot commands that never fork bridge here.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = BlockingOutcome<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            outcome.result = .success(try await body())
        } catch {
            outcome.result = .failure(error)
        }
        done.signal()
    }
    done.wait()
    return try outcome.result!.get()
}

/// Written once by the task before `done.signal()`, read once after `done.wait()`: the semaphore orders them.
private final class BlockingOutcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// A small pool for a one-shot command (one pipelined and `connections` leased connections), shut down afterwards.
func withDatabase<T: Sendable>(
    url: String, command: String, connections: Int = 1, _ body: @escaping @Sendable (Database) async throws -> T
) throws -> T {
    var pool = PoolConfiguration()
    pool.pipelines = 1
    pool.leasedConnections = connections
    let blocking = BlockingPool.forCommand(leasedConnections: connections)
    let database = Database(
        options: ConnectionOptions(url: url, applicationName: "clientele-\(command)/\(getpid())"), configuration: pool,
        blocking: blocking)
    defer {
        database.shutdown()
        blocking.shutdown()
    }
    return try runBlocking { try await body(database) }
}

/// An error's description on one line (libpq's messages span several), for `fail`.
func oneLine(_ error: any Error) -> String {
    "\(error)".split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        .joined(separator: " ")
}
