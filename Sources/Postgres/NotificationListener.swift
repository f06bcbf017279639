import CLibPQ
import Foundation
import Glibc
import Synchronization

/// What a listener reports.
public enum ListenerEvent: Sendable, Equatable {
    /// Listening (again): whatever was notified while the connection was down is lost, so look now.
    case listening
    case notification(channel: String, payload: String)
}

/// LISTEN on a connection of its own, on a thread of its own; reconnects and listens again after the
/// connection breaks. Notifications arrive as an AsyncStream. Like a pipeline's thread, this one owns its
/// connection for the life of the process and sleeps in poll() on its socket: it is a reader that never
/// returns, not a blocking call, so it keeps a thread of its own rather than holding one of the process's
/// `BlockingPool` threads forever.
public final class NotificationListener: Sendable {
    private let options: ConnectionOptions
    private let channels: [String]
    private let stopped = Atomic<Bool>(false)
    public let events: AsyncStream<ListenerEvent>
    private let continuation: AsyncStream<ListenerEvent>.Continuation

    /// Channel names must be plain identifiers (`[a-z_][a-z0-9_]*`): they are written into LISTEN.
    public init(options: ConnectionOptions, channels: [String]) {
        precondition(channels.allSatisfy(Self.isPlainIdentifier), "channel names must be plain identifiers")
        self.options = options
        self.channels = channels
        (events, continuation) = AsyncStream.makeStream(of: ListenerEvent.self, bufferingPolicy: .bufferingNewest(1024))
        let thread = Thread { [self] in run() }
        thread.name = "pg-listen"
        thread.start()
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    private func run() {
        while !stopped.load(ordering: .relaxed) {
            do {
                let connection = try LibPQConnection(options)
                for channel in channels {
                    let result = PQexec(connection.handle, "LISTEN \(channel)")
                    defer { PQclear(result) }
                    guard PQresultStatus(result) == PGRES_COMMAND_OK else {
                        throw PostgresError.connection(connection.errorMessage)
                    }
                }
                continuation.yield(.listening)
                try receive(on: connection)
            } catch {
                // Down or restarting: try again shortly; the worker polls meanwhile.
                Thread.sleep(forTimeInterval: 1)
            }
        }
        continuation.finish()
    }

    private func receive(on connection: LibPQConnection) throws {
        let handle = connection.handle
        while !stopped.load(ordering: .relaxed) {
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 500)
            if ready < 0 && errno != EINTR { throw PostgresError.connection("poll failed") }
            if ready > 0 && PQconsumeInput(handle) == 0 {
                throw PostgresError.connection(LibPQConnection.errorMessage(of: handle))
            }
            while let notification = PQnotifies(handle) {
                let channel = String(cString: notification.pointee.relname)
                let payload = String(cString: notification.pointee.extra)
                PQfreemem(notification)
                continuation.yield(.notification(channel: channel, payload: payload))
            }
            if PQstatus(handle) != CONNECTION_OK { throw PostgresError.connection("connection lost") }
        }
    }
}
