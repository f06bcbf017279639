import CLibPQ
import CShims
import Glibc

/// `COPY … TO STDOUT` on one connection, for `CopyOutStream`: libpq's asynchronous copy calls
/// (`PQgetCopyData` with async = 1), waited for with poll so that deadlines and interrupts are watched, as
/// `execute` watches them. Each call holds the connection's lock for its duration, as a statement does.
extension Connection {
    /// Sends a COPY … TO STDOUT (simple protocol: it has no parameters) and waits until the server is about
    /// to send rows. A statement that fails before its first row (a bad query) throws here. `timeout`
    /// (nanoseconds, nil for none) is the longest the server may stay silent while the copy is running.
    func startCopyOut(_ text: String, timeout: UInt64?) throws {
        try withSession { try $0.startCopyOut(text, timeout: timeout, interrupted: { self.isInterrupted }) }
    }

    /// Appends whole rows to `buffer` until it holds `limit` bytes, the server pauses while `buffer` has
    /// rows (none for `pauseMilliseconds`), or the copy ends. Each row's final newline is replaced by
    /// `rowEnding`: in CSV and text format a row ends with the only newline outside quotes. Returns false
    /// once the copy has ended (rows may still have been appended). The copy's error, a passed timeout
    /// (57014: no row for `timeout` nanoseconds) or an interrupt (`CancellationError`) is thrown once the
    /// server has ended the statement.
    func readCopyRows(limit: Int, rowEnding: [UInt8], timeout: UInt64?) throws -> (rows: [UInt8], more: Bool) {
        try withSession { session in
            var watch = Session.CopyWatch(timeout: timeout)
            var rows: [UInt8] = []
            rows.reserveCapacity(limit + 4096)
            let more = try session.pumpCopy(
                into: &rows, keep: true, limit: limit, rowEnding: rowEnding, watch: &watch,
                interrupted: { self.isInterrupted })
            return (rows, more)
        }
    }

    /// Stops a copy the caller no longer wants: a cancel request, then the rest is read and dropped until
    /// the server has ended the statement (the connection is then idle in its transaction). Returns false
    /// when that did not happen within `cancelAnswerLimit` or the connection broke; it is closed then.
    func abandonCopyOut() -> Bool {
        (try? withSession { $0.abandonCopyOut() }) ?? false
    }
}

extension Session {
    /// How the copy's waits are judged: `timeout` (nanoseconds, nil for none) is the longest the server may
    /// stay silent while the copy is running; once a cancel request went out, the server has
    /// `cancelAnswerLimit` to end the copy.
    struct CopyWatch {
        var timeout: UInt64?
        var lastProgress = monotonicNanoseconds()
        var cancelled: CancelReason?
        var cancelledAt: UInt64 = 0

        init(timeout: UInt64?) { self.timeout = timeout }
    }

    mutating func startCopyOut(_ text: String, timeout: UInt64?, interrupted: () -> Bool) throws {
        if interrupted() { throw CancellationError() }
        let handle = try handle()
        guard PQsendQuery(handle, text) == 1 else {
            throw PostgresError.connection(LibPQConnection.errorMessage(of: handle))
        }
        var watch = CopyWatch(timeout: timeout)
        try waitWhileBusy(&watch, interrupted: interrupted)
        guard let result = PQgetResult(handle) else {
            throw PostgresError.connection(LibPQConnection.errorMessage(of: handle))
        }
        guard PQresultStatus(result) == PGRES_COPY_OUT else {
            // Not a copy after all (an error): read the statement's other results, then report this one.
            while (try? waitWhileBusy(&watch, interrupted: interrupted)) != nil, let more = PQgetResult(handle) {
                PQclear(more)
            }
            throw copyError(from: result, handle: handle, watch: watch)
        }
        PQclear(result)
        // The server sends the copy's start with its first rows (it buffers about 8 KB): a timeout or an
        // interrupt may have sent a cancel request before it came. The copy then ends here, with that error.
        if let cancelled = watch.cancelled {
            var sink: [UInt8] = []
            while try pumpCopy(into: &sink, keep: false, limit: .max, rowEnding: [], watch: &watch, interrupted: interrupted) {}
            throw Self.cancellationError(cancelled)
        }
    }

    mutating func abandonCopyOut() -> Bool {
        var watch = CopyWatch(timeout: nil)
        (watch.cancelled, watch.cancelledAt) = (.interrupted, monotonicNanoseconds())
        sendCancelRequest()
        var sink: [UInt8] = []
        do {
            while try pumpCopy(into: &sink, keep: false, limit: .max, rowEnding: [], watch: &watch, interrupted: { false }) {}
        } catch is CancellationError {
        } catch let error as PostgresError where error.kind == .server {
            // The copy's own error came first: either way the statement is over.
        } catch {
            connection = nil
            return false
        }
        return true
    }

    /// How long the server may pause before the rows in hand are handed on.
    static let pauseMilliseconds: Int32 = 20

    mutating func pumpCopy(
        into buffer: inout [UInt8], keep: Bool, limit: Int, rowEnding: [UInt8], watch: inout CopyWatch,
        interrupted: () -> Bool
    ) throws -> Bool {
        let handle = try handle()
        // Once a cancel request went out, the rest is read to the statement's end whatever the limit.
        while buffer.count < limit || watch.cancelled != nil {
            var row: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &row, 1)
            if length > 0, let row {
                if keep && watch.cancelled == nil {
                    let bytes = UnsafeRawBufferPointer(start: row, count: Int(length))
                    if bytes[bytes.count - 1] == 0x0A {
                        buffer.append(contentsOf: bytes[..<(bytes.count - 1)])
                        buffer.append(contentsOf: rowEnding)
                    } else {
                        buffer.append(contentsOf: bytes)
                    }
                }
                PQfreemem(row)
                watch.lastProgress = monotonicNanoseconds()
            } else if length == 0 {
                var wait = try check(&watch, interrupted: interrupted)
                let handOn = keep && watch.cancelled == nil && !buffer.isEmpty
                if handOn { wait = min(wait, Self.pauseMilliseconds) }
                switch Self.awaitInput(handle, milliseconds: wait) {
                case .broken: throw PostgresError.connection(LibPQConnection.errorMessage(of: handle))
                case .nothing where handOn: return true
                case .nothing, .arrived: break
                }
            } else if length == -2 {
                throw PostgresError.connection(LibPQConnection.errorMessage(of: handle))
            } else {
                // -1: the copy is over; its outcome is the statement's result.
                try finishCopy(&watch, interrupted: interrupted)
                return false
            }
        }
        return true
    }

    /// After the copy data: reads the statement's results until libpq has none left, and throws the first
    /// error (mapped as `execute` maps it when a cancel request was sent).
    private mutating func finishCopy(_ watch: inout CopyWatch, interrupted: () -> Bool) throws {
        let handle = try handle()
        var firstError: OpaquePointer?
        while true {
            try waitWhileBusy(&watch, interrupted: interrupted)
            guard let result = PQgetResult(handle) else { break }
            let status = PQresultStatus(result)
            if status == PGRES_COPY_OUT || status == PGRES_COMMAND_OK || firstError != nil {
                PQclear(result)
            } else {
                firstError = result
            }
        }
        if let firstError { throw copyError(from: firstError, handle: handle, watch: watch) }
    }

    /// The error of `result` (which it clears), as the caller should see it.
    private func copyError(from result: OpaquePointer, handle: OpaquePointer, watch: CopyWatch) -> any Error {
        defer { PQclear(result) }
        let error = LibPQConnection.error(from: result, connection: handle)
        guard let cancelled = watch.cancelled, error.isStatementTimeout else { return error }
        return Self.cancellationError(cancelled)
    }

    private mutating func waitWhileBusy(_ watch: inout CopyWatch, interrupted: () -> Bool) throws {
        let handle = try handle()
        while PQisBusy(handle) == 1 {
            let wait = try check(&watch, interrupted: interrupted)
            // A broken connection: PQgetResult then reports it without blocking.
            if Self.awaitInput(handle, milliseconds: wait) == .broken { break }
        }
    }

    /// Sends the cancel request when the timeout passed or the caller was interrupted, gives up on a
    /// server that ignores one; returns how long to wait for input next.
    private mutating func check(_ watch: inout CopyWatch, interrupted: () -> Bool) throws -> Int32 {
        let now = monotonicNanoseconds()
        if watch.cancelled != nil {
            guard now < watch.cancelledAt + Connection.cancelAnswerLimit else {
                connection = nil
                throw PostgresError.connection("the server did not stop the statement after a cancel request")
            }
        } else if let timeout = watch.timeout, now >= watch.lastProgress + timeout {
            (watch.cancelled, watch.cancelledAt) = (.deadline, now)
            sendCancelRequest()
        } else if interrupted() {
            (watch.cancelled, watch.cancelledAt) = (.interrupted, now)
            sendCancelRequest()
        } else if let timeout = watch.timeout {
            return Int32(min(UInt64(Connection.interruptPollMilliseconds), (watch.lastProgress + timeout - now) / 1_000_000 + 1))
        }
        return Connection.interruptPollMilliseconds
    }

    private enum Input { case arrived, nothing, broken }

    /// Waits up to `milliseconds` for the socket and reads what arrived.
    private static func awaitInput(_ handle: OpaquePointer, milliseconds: Int32) -> Input {
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0 { return errno == EINTR ? .nothing : .broken }
        if ready == 0 { return .nothing }
        return PQconsumeInput(handle) == 0 ? .broken : .arrived
    }
}
