import CLibPQ
import CShims
import Glibc
import Synchronization

/// How to reach the database. `url` is a libpq URL (`postgresql://…`) or a conninfo string; whatever it
/// says about TLS (`sslmode=verify-full`, `sslrootcert=…`) is libpq's to honour: nothing here overrides it.
public struct ConnectionOptions: Sendable {
    public var url: String
    /// Shown in `pg_stat_activity.application_name`, e.g. `clientele-serve/4242`.
    public var applicationName: String
    /// Seconds; libpq's minimum is 2.
    public var connectTimeout: Int
    /// Named prepared statements, one per distinct SQL text and connection. Off behind a transaction pooler
    /// (PgBouncer before 1.21) that cannot keep them: then every statement is parsed each time.
    public var usePreparedStatements: Bool
    /// Most statements kept prepared per connection; the least recently used one is deallocated past it.
    public var preparedStatementLimit: Int
    /// Seconds any one statement may run (DB_STATEMENT_TIMEOUT), or nil for no limit (migrations, seeding).
    /// Set as the session's `statement_timeout` when the connection opens, so PostgreSQL ends a statement
    /// that passes it (57014), each pipelined statement on its own; `LeasedConnection` also keeps a
    /// deadline of its own (see there).
    public var statementTimeout: Double?

    public init(
        url: String, applicationName: String, connectTimeout: Int = 5, usePreparedStatements: Bool = true,
        preparedStatementLimit: Int = 256, statementTimeout: Double? = nil
    ) {
        self.url = url
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.usePreparedStatements = usePreparedStatements
        self.preparedStatementLimit = preparedStatementLimit
        self.statementTimeout = statementTimeout
    }
}

/// One libpq connection, used by one thread at a time. Its calls block: run them on the pool's own
/// threads, never on an event loop or Swift's cooperative pool. The one exception is `interrupt()`, which
/// any thread may call while a statement runs.
public final class Connection: @unchecked Sendable {
    let handle: OpaquePointer
    let options: ConnectionOptions
    /// SQL text -> name of the statement prepared on this connection.
    private var preparedStatements: PreparedStatementCache
    /// Names evicted from `preparedStatements` whose DEALLOCATE has not been sent yet.
    private var pendingDeallocations: [String] = []
    private var isClosed = false
    /// libpq's handle for cancel requests (PQcancel), made once while connected.
    private let cancelHandle: OpaquePointer?
    /// Set by `interrupt()`, from any thread; cleared by `resetInterrupt()` when the connection changes hands.
    private let interruptRequested = Atomic<Bool>(false)
    /// A cancel request went to the server for a statement of this connection. The lease that sent it
    /// closes the connection instead of handing it on (see `LeasedConnection`).
    private(set) var sentCancelRequest = false

    public init(_ options: ConnectionOptions) throws {
        self.options = options
        preparedStatements = PreparedStatementCache(prefix: "s", capacity: options.preparedStatementLimit)
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
        self.handle = handle
        cancelHandle = PQgetCancel(handle)
        // Notices (e.g. "already exists, skipping") are not errors; libpq would print them to stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        // Timestamps are read in ISO style whatever the server's default; the parser handles any offset.
        var session = "SET DateStyle TO 'ISO'; SET TimeZone TO 'UTC'"
        if let timeout = options.statementTimeout {
            session += "; SET statement_timeout TO \(Self.milliseconds(timeout))"
        }
        _ = try execute(simple: session)
    }

    deinit { close() }

    public func close() {
        if !isClosed {
            isClosed = true
            if let cancelHandle { PQfreeCancel(cancelHandle) }
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

    /// Runs one statement with bound parameters, prepared once per connection when prepared statements are
    /// on. With a `deadline` (monotonic nanoseconds), a statement still running then is cancelled and the
    /// error is a statement timeout (57014).
    @discardableResult
    public func execute(_ sql: SQL, deadline: UInt64? = nil) throws -> QueryResult {
        let text = sql.text
        if options.usePreparedStatements {
            let name = try preparedName(for: text, parameterCount: sql.binds.count, deadline: deadline)
            return try run(deadline: deadline) {
                withParameters(sql.binds) { values, count in PQsendQueryPrepared(handle, name, count, values, nil, nil, 0) }
            }
        }
        return try run(deadline: deadline) {
            withParameters(sql.binds) { values, count in PQsendQueryParams(handle, text, count, nil, values, nil, nil, 0) }
        }
    }

    /// Runs SQL text without parameters through the simple query protocol; it may hold several statements
    /// (a migration file). Never pass a client's value here.
    @discardableResult
    public func execute(simple text: String, deadline: UInt64? = nil) throws -> QueryResult {
        try run(deadline: deadline) { PQsendQuery(handle, text) }
    }

    private func preparedName(for text: String, parameterCount: Int, deadline: UInt64?) throws -> String {
        if let name = preparedStatements.name(for: text) { return name }
        let (name, evicted) = preparedStatements.insert(text)
        if let evicted { pendingDeallocations.append(evicted) }
        do {
            // Evicted statements go first, so the server never holds more than the limit. One that could not
            // be sent (the caller was cancelled) stays pending for the next PREPARE.
            while let evicted = pendingDeallocations.last {
                do {
                    // Our own name (a letter and a counter), so it may be written into the statement.
                    _ = try run(deadline: deadline) { PQsendQuery(handle, "DEALLOCATE \(evicted)") }
                } catch let error as PostgresError where error.kind == .server {
                    // The server has no such statement (any more): nothing to free.
                }
                pendingDeallocations.removeLast()
            }
            _ = try run(deadline: deadline) { PQsendPrepare(handle, name, text, Int32(parameterCount), nil) }
        } catch {
            preparedStatements.remove(text, ifNamed: name)
            throw error
        }
        return name
    }

    // MARK: Deadlines and cancellation

    /// Asks the statement running now (or the next one this lease sends) to stop: the thread running it
    /// sends libpq's cancel request and returns `CancellationError`. Safe from any thread; what sets it is
    /// the cancellation of the task that leased the connection.
    func interrupt() {
        interruptRequested.store(true, ordering: .releasing)
    }

    /// A new lease starts: an interrupt meant for the previous holder must not touch it.
    func resetInterrupt() {
        interruptRequested.store(false, ordering: .releasing)
    }

    var isInterrupted: Bool { interruptRequested.load(ordering: .acquiring) }

    enum CancelReason {
        case deadline
        case interrupted
    }

    /// How long the server may take to stop a statement after a cancel request before the connection is
    /// treated as lost (a server that checks for interrupts at all answers within milliseconds).
    static let cancelAnswerLimit: UInt64 = 10_000_000_000
    /// How often a waiting thread looks at `interruptRequested` while a statement runs.
    static let interruptPollMilliseconds: Int32 = 100

    /// Sends a statement with `send`, then waits for all its results: returns the last, or throws the first
    /// error, as PQexec would. While it waits, a passed deadline or an interrupt sends a cancel request
    /// (PQcancel): safe here because this statement is the only one outstanding on the connection and the
    /// thread sends nothing more until the server has answered, so the request cannot reach a later
    /// statement. The connection is then marked (`sentCancelRequest`) and not reused by anyone else.
    private func run(deadline: UInt64?, send: () -> Int32) throws -> QueryResult {
        if isInterrupted { throw CancellationError() }
        guard send() == 1 else { throw PostgresError.connection(Self.errorMessage(of: handle)) }
        var cancelled: CancelReason?
        var cancelledAt: UInt64 = 0
        var last: OpaquePointer?
        var firstError: PostgresError?
        // Each result is waited for here, where the deadline and interrupts are watched (PQgetResult would
        // block without either); a simple query with several statements has several results.
        while true {
            while PQisBusy(handle) == 1 {
                let now = monotonicNanoseconds()
                var wait = Self.interruptPollMilliseconds
                if cancelled != nil {
                    guard now < cancelledAt + Self.cancelAnswerLimit else {
                        if let last { PQclear(last) }
                        close()
                        throw PostgresError.connection("the server did not stop the statement after a cancel request")
                    }
                } else if let deadline, now >= deadline {
                    (cancelled, cancelledAt) = (.deadline, now)
                    sendCancelRequest()
                    continue
                } else if isInterrupted {
                    (cancelled, cancelledAt) = (.interrupted, now)
                    sendCancelRequest()
                    continue
                } else if let deadline {
                    wait = Int32(min(UInt64(wait), (deadline - now) / 1_000_000 + 1))
                }
                var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
                let ready = poll(&descriptor, 1, wait)
                if ready < 0 && errno != EINTR { break }
                // A broken connection: PQgetResult then reports it without blocking.
                if ready > 0 && PQconsumeInput(handle) == 0 { break }
            }
            guard let result = PQgetResult(handle) else { break }
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
                if let last { PQclear(last) }
                last = result
            default:
                firstError = firstError ?? Self.error(from: result, connection: handle)
                PQclear(result)
            }
        }
        if let firstError {
            if let last { PQclear(last) }
            if let cancelled, firstError.isStatementTimeout {
                switch cancelled {
                case .interrupted: throw CancellationError()
                case .deadline:
                    throw PostgresError(
                        kind: .server, message: "canceling statement due to statement timeout (client deadline)",
                        sqlState: "57014")
                }
            }
            throw firstError
        }
        // A statement that finished before the cancel request reached it keeps its result: the server did it.
        guard let last else { throw PostgresError.connection(Self.errorMessage(of: handle)) }
        return QueryResult(owning: last)
    }

    func sendCancelRequest() {
        sentCancelRequest = true
        guard let cancelHandle else { return }
        var message = [CChar](repeating: 0, count: 256)
        // A failed request (the server unreachable) is not an error here: the answer limit covers it.
        _ = PQcancel(cancelHandle, &message, Int32(message.count))
    }

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
