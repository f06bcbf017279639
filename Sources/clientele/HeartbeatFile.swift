import Foundation
import Synchronization

/// WORKER_HEARTBEAT_FILE: the worker rewrites this file (at most every 2 s) each time a claim or lease
/// renewal reached the database; `clientele worker --check` reads its age. A container healthcheck then
/// says "this worker's loop runs and reaches PostgreSQL", per container, without a port or a query.
final class HeartbeatFile: Sendable {
    let path: String
    private let lastWrite = Mutex(0.0)

    init(path: String) {
        self.path = path
    }

    func beat() {
        let now = Date().timeIntervalSince1970
        let due = lastWrite.withLock { last in
            guard now - last >= 2 else { return false }
            last = now
            return true
        }
        guard due else { return }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        var text = "\(Int(now))\n"
        text.withUTF8 { buffer in _ = write(descriptor, buffer.baseAddress, buffer.count) }
        close(descriptor)
    }

    /// Seconds since the last beat, or nil when there is no heartbeat file yet.
    static func age(of path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        return Date().timeIntervalSince1970 - modified
    }
}
