import CLibPQ
import Glibc

/// One libpq connection (`PGconn`), closed when the last reference goes. Not Sendable: libpq allows one
/// thread at a time per connection, so it is either owned outright by one thread (a pipeline's, the
/// listener's) or kept inside the lock of a `Connection`, which is the only way in and what makes that
/// type Sendable.
final class LibPQConnection {
    let handle: OpaquePointer
    /// libpq's handle for cancel requests (PQcancel), made once while connected.
    private let cancelHandle: OpaquePointer?
    let backendPID: Int

    /// Connects (blocking: call it on a thread that may block) and prepares the session: ISO timestamps in
    /// UTC, and the statement timeout of `options`.
    init(_ options: ConnectionOptions) throws {
        // gssencmode comes before dbname so that a URL naming it wins. Off by default: libpq's "prefer" asks
        // Kerberos for credentials on every connect, which maps its libraries into every process (0.6 MiB
        // of RSS per worker) for a kind of encryption almost nobody runs; ?gssencmode=prefer brings it back.
        // sslmode is not among these: the URL's (or PGSSLMODE's) applies.
        let keywords = ["gssencmode", "dbname", "application_name", "connect_timeout", "fallback_application_name"]
        let values = ["disable", options.url, options.applicationName, String(max(2, options.connectTimeout)), "clientele"]
        let handle = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let handle else { throw PostgresError.connection("out of memory while connecting") }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.errorMessage(of: handle)
            PQfinish(handle)
            throw PostgresError.connection(message)
        }
        // Notices (e.g. "already exists, skipping") are not errors; libpq would print them to stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        // Timestamps are read in ISO style whatever the server's default; the parser handles any offset.
        var session = "SET DateStyle TO 'ISO'; SET TimeZone TO 'UTC'"
        if let timeout = options.statementTimeout {
            session += "; SET statement_timeout TO \(Self.milliseconds(timeout))"
        }
        let result = PQexec(handle, session)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK else {
            let message = Self.errorMessage(of: handle)
            PQfinish(handle)
            throw PostgresError.connection(message)
        }
        self.handle = handle
        cancelHandle = PQgetCancel(handle)
        backendPID = Int(PQbackendPID(handle))
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        PQfinish(handle)
    }

    var socket: Int32 { PQsocket(handle) }

    /// False once the connection broke. Reads what is already waiting on the socket without blocking, so
    /// a connection that the server closed while it sat idle (a restart, `pg_terminate_backend`) is found
    /// before a statement is sent on it.
    var isAlive: Bool {
        guard PQstatus(handle) == CONNECTION_OK else { return false }
        // A terminated backend sends an error message, then closes: the first read takes the message, a
        // later one sees the end of the stream. A few rounds tell a closed socket from a late notice.
        for _ in 0..<4 {
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else { break }
            if PQconsumeInput(handle) == 0 { return false }
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Asks the server to stop the statement the backend runs now (a new connection of libpq's, blocking
    /// briefly). A failed request (the server unreachable) is not an error here: the caller's answer limit
    /// covers it.
    func sendCancelRequest() {
        guard let cancelHandle else { return }
        var message = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &message, Int32(message.count))
    }

    var errorMessage: String { Self.errorMessage(of: handle) }

    static func milliseconds(_ seconds: Double) -> Int { max(1, Int((seconds * 1000).rounded())) }

    static func error(from result: OpaquePointer, connection: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let value = PQresultErrorField(result, code) else { return nil }
            return String(cString: value)
        }
        let sqlState = field(CLIBPQ_DIAG_SQLSTATE)
        let message = field(CLIBPQ_DIAG_MESSAGE_PRIMARY) ?? errorMessage(of: connection)
        // A result with no SQLSTATE was made by libpq itself: the connection broke under it.
        let broken = sqlState == nil && PQstatus(connection) != CONNECTION_OK
        return PostgresError(
            kind: broken ? .connection : (sqlState == nil ? .client : .server),
            message: message,
            sqlState: sqlState,
            detail: field(CLIBPQ_DIAG_MESSAGE_DETAIL),
            hint: field(CLIBPQ_DIAG_MESSAGE_HINT),
            constraint: field(CLIBPQ_DIAG_CONSTRAINT_NAME))
    }

    static func errorMessage(of handle: OpaquePointer) -> String {
        guard let message = PQerrorMessage(handle) else { return "unknown libpq error" }
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "connection failed" : text
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}

extension Set where Element == Character {
    static let whitespacesAndNewlines: Set<Character> = [" ", "\n", "\t", "\r"]
}

/// Calls `body` with a C array of C strings (nil for NULL) that lives for the call.
func withParameters<R>(_ values: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?, Int32) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0) } }
    defer { for copy in copies { free(copy) } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { buffer in body(buffer.baseAddress, Int32(values.count)) }
}

func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for copy in copies { free(copy) } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
