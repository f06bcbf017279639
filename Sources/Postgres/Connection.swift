import CLibPQ
import Glibc

/// How to reach the database. `url` is a libpq URL (`postgresql://…`) or a conninfo string.
public struct ConnectionOptions: Sendable {
    public var url: String
    /// Shown in `pg_stat_activity.application_name`, e.g. `clientele-serve/4242`.
    public var applicationName: String
    /// Seconds; libpq's minimum is 2.
    public var connectTimeout: Int
    /// Named prepared statements, one per distinct SQL text and connection. Off behind a transaction pooler
    /// (PgBouncer before 1.21) that cannot keep them: then every statement is parsed each time.
    public var usePreparedStatements: Bool

    public init(url: String, applicationName: String, connectTimeout: Int = 5, usePreparedStatements: Bool = true) {
        self.url = url
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.usePreparedStatements = usePreparedStatements
    }
}

/// One libpq connection, used by one thread at a time. Its calls block: run them on the pool's own
/// threads, never on an event loop or Swift's cooperative pool.
public final class Connection: @unchecked Sendable {
    let handle: OpaquePointer
    let options: ConnectionOptions
    /// SQL text -> name of the statement prepared on this connection.
    private var preparedStatements: [String: String] = [:]
    private var isClosed = false

    public init(_ options: ConnectionOptions) throws {
        self.options = options
        // gssencmode comes before dbname so that a URL naming it wins. Off by default: libpq's "prefer" asks
        // Kerberos for credentials on every connect, which maps its libraries into every process (0.6 MiB
        // of RSS per worker) for a kind of encryption almost nobody runs; ?gssencmode=prefer brings it back.
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
        self.handle = handle
        // Notices (e.g. "already exists, skipping") are not errors; libpq would print them to stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        // Timestamps are read in ISO style whatever the server's default; the parser handles any offset.
        _ = try execute(simple: "SET DateStyle TO 'ISO'; SET TimeZone TO 'UTC'")
    }

    deinit { close() }

    public func close() {
        if !isClosed {
            isClosed = true
            PQfinish(handle)
        }
    }

    /// The backend's process id (for `pg_terminate_backend` in tests and operators' queries).
    public var backendPID: Int { Int(PQbackendPID(handle)) }

    /// False once the connection broke. Reads what is already waiting on the socket without blocking, so
    /// a connection that the server closed while it sat idle (a restart, `pg_terminate_backend`) is found
    /// before a statement is sent on it.
    public var isAlive: Bool {
        guard !isClosed, PQstatus(handle) == CONNECTION_OK else { return false }
        // A terminated backend sends an error message, then closes: the first read takes the message, a
        // later one sees the end of the stream. A few rounds tell a closed socket from a late notice.
        for _ in 0..<4 {
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else { break }
            if PQconsumeInput(handle) == 0 { return false }
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Runs one statement with bound parameters, prepared once per connection when prepared statements are on.
    @discardableResult
    public func execute(_ sql: SQL) throws -> QueryResult {
        let text = sql.text
        let result: OpaquePointer?
        if options.usePreparedStatements {
            let name = try preparedName(for: text, parameterCount: sql.binds.count)
            result = withParameters(sql.binds) { values, count in
                PQexecPrepared(handle, name, count, values, nil, nil, 0)
            }
        } else {
            result = withParameters(sql.binds) { values, count in
                PQexecParams(handle, text, count, nil, values, nil, nil, 0)
            }
        }
        return try check(result)
    }

    /// Runs SQL text without parameters through the simple query protocol; it may hold several statements
    /// (a migration file). Never pass a client's value here.
    @discardableResult
    public func execute(simple text: String) throws -> QueryResult {
        try check(PQexec(handle, text))
    }

    private func preparedName(for text: String, parameterCount: Int) throws -> String {
        if let name = preparedStatements[text] { return name }
        let name = "s\(preparedStatements.count + 1)"
        let result = PQprepare(handle, name, text, Int32(parameterCount), nil)
        _ = try check(result)
        preparedStatements[text] = name
        return name
    }

    /// Turns a PGresult into a QueryResult, or throws what the server or libpq said.
    func check(_ result: OpaquePointer?) throws -> QueryResult {
        guard let result else {
            throw PostgresError.connection(Self.errorMessage(of: handle))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return QueryResult(owning: result)
        default:
            let error = Self.error(from: result, connection: handle)
            PQclear(result)
            throw error
        }
    }

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
