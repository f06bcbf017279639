import CLibPQ
import CShims
import Glibc
import Synchronization

/// One libpq connection whose calls block until the server answered: for leased connections (run on the
/// process's `BlockingPool`, never on an event loop or Swift's cooperative pool), migrations, tests and
/// one-shot commands. Sendable by construction: the libpq handle lives inside a lock, so two threads can
/// never use it at once (a second caller waits for the first statement to end). The one thing any thread
/// may do while a statement runs is `interrupt()` it, which is an atomic flag outside the lock.
public final class Connection: Sendable {
    public let options: ConnectionOptions
    /// The backend's process id (for `pg_terminate_backend` in tests and operators' queries).
    public let backendPID: Int
    private let session: Mutex<Session>
    /// Set by `interrupt()`, from any thread; cleared by `startLease()` when the connection changes hands.
    private let interruptRequested = Atomic<Bool>(false)
    /// Set when a statement of the current lease found the connection lost (`runLeased`); cleared by
    /// `startLease()`.
    private let lostInLease = Atomic<Bool>(false)

    /// Connects; blocking.
    public init(_ options: ConnectionOptions) throws {
        let connection = try LibPQConnection(options)
        self.options = options
        backendPID = connection.backendPID
        session = Mutex(
            Session(
                connection: connection,
                preparedStatements: PreparedStatementCache(prefix: "s", capacity: options.preparedStatementLimit)))
    }

    public func close() {
        session.withLock { $0.connection = nil }
    }

    /// False once the connection broke or was closed (see `LibPQConnection.isAlive`).
    public var isAlive: Bool {
        session.withLock { $0.connection?.isAlive ?? false }
    }

    /// Runs one statement with bound parameters, prepared once per connection when prepared statements are
    /// on. With a `deadline` (monotonic nanoseconds), a statement still running then is cancelled and the
    /// error is a statement timeout (57014).
    @discardableResult
    public func execute(_ sql: SQL, deadline: UInt64? = nil) throws -> QueryResult {
        let prepared = options.usePreparedStatements
        return try session.withLock { session in
            try session.execute(sql, prepared: prepared, deadline: deadline, interrupted: { self.isInterrupted })
        }
    }

    /// Runs SQL text without parameters through the simple query protocol; it may hold several statements
    /// (a migration file). Never pass a client's value here.
    @discardableResult
    public func execute(simple text: String, deadline: UInt64? = nil) throws -> QueryResult {
        try session.withLock { session in
            let handle = try session.handle()
            return try session.run(deadline: deadline, interrupted: { self.isInterrupted }) { PQsendQuery(handle, text) }
        }
    }

    // MARK: Cancellation

    /// Asks the statement running now (or the next one this lease sends) to stop: the thread running it
    /// sends libpq's cancel request and returns `CancellationError`. Safe from any thread; what sets it is
    /// the cancellation of the task that leased the connection.
    func interrupt() {
        interruptRequested.store(true, ordering: .releasing)
    }

    /// A new lease starts (`LeasePool.acquire`): an interrupt meant for the previous holder must not touch
    /// it, and the connection has not been lost in this lease yet.
    func startLease() {
        interruptRequested.store(false, ordering: .releasing)
        lostInLease.store(false, ordering: .releasing)
    }

    var isInterrupted: Bool { interruptRequested.load(ordering: .acquiring) }

    /// The connection was lost during the current lease; see `runLeased`.
    func markLostInLease() {
        lostInLease.store(true, ordering: .releasing)
    }

    var isLostInLease: Bool { lostInLease.load(ordering: .acquiring) }

    /// Runs `body` on the session, holding the lock: for the libpq calls `execute` does not make (the copy
    /// of `CopyOutStream`).
    func withSession<T: Sendable>(_ body: (inout Session) throws -> T) throws -> T {
        try session.withLock { try body(&$0) }
    }

    /// A cancel request went to the server for a statement of this connection. The lease that sent it
    /// closes the connection instead of handing it on (see `LeasedConnection`).
    var sentCancelRequest: Bool { session.withLock { $0.sentCancelRequest } }

    /// How long the server may take to stop a statement after a cancel request before the connection is
    /// treated as lost (a server that checks for interrupts at all answers within milliseconds).
    static let cancelAnswerLimit: UInt64 = 10_000_000_000
    /// How often a waiting thread looks at `interruptRequested` while a statement runs.
    static let interruptPollMilliseconds: Int32 = 100
}

/// What the lock of a `Connection` guards: the libpq connection and what this side knows about it.
struct Session {
    /// nil once closed.
    var connection: LibPQConnection?
    /// SQL text -> name of the statement prepared on this connection.
    var preparedStatements: PreparedStatementCache
    /// Names evicted from `preparedStatements` whose DEALLOCATE has not been sent yet.
    var pendingDeallocations: [String] = []
    var sentCancelRequest = false

    enum CancelReason {
        case deadline
        case interrupted
    }

    func handle() throws -> OpaquePointer {
        guard let connection else { throw PostgresError.connection("the connection is closed") }
        return connection.handle
    }

    mutating func execute(
        _ sql: SQL, prepared: Bool, deadline: UInt64?, interrupted: () -> Bool
    ) throws -> QueryResult {
        let handle = try handle()
        let text = sql.text
        if prepared {
            let name = try preparedName(for: text, parameterCount: sql.binds.count, deadline: deadline, interrupted: interrupted)
            return try run(deadline: deadline, interrupted: interrupted) {
                withParameters(sql.binds) { values, count in PQsendQueryPrepared(handle, name, count, values, nil, nil, 0) }
            }
        }
        return try run(deadline: deadline, interrupted: interrupted) {
            withParameters(sql.binds) { values, count in PQsendQueryParams(handle, text, count, nil, values, nil, nil, 0) }
        }
    }

    private mutating func preparedName(
        for text: String, parameterCount: Int, deadline: UInt64?, interrupted: () -> Bool
    ) throws -> String {
        if let name = preparedStatements.name(for: text) { return name }
        let handle = try handle()
        let (name, evicted) = preparedStatements.insert(text)
        if let evicted { pendingDeallocations.append(evicted) }
        do {
            // Evicted statements go first, so the server never holds more than the limit. One that could not
            // be sent (the caller was cancelled) stays pending for the next PREPARE.
            while let evicted = pendingDeallocations.last {
                do {
                    // Our own name (a letter and a counter), so it may be written into the statement.
                    _ = try run(deadline: deadline, interrupted: interrupted) { PQsendQuery(handle, "DEALLOCATE \(evicted)") }
                } catch let error as PostgresError where error.kind == .server {
                    // The server has no such statement (any more): nothing to free.
                }
                pendingDeallocations.removeLast()
            }
            _ = try run(deadline: deadline, interrupted: interrupted) {
                PQsendPrepare(handle, name, text, Int32(parameterCount), nil)
            }
        } catch {
            preparedStatements.remove(text, ifNamed: name)
            throw error
        }
        return name
    }

    /// Sends a statement with `send`, then waits for all its results: returns the last, or throws the first
    /// error, as PQexec would. While it waits, a passed deadline or an interrupt sends a cancel request
    /// (PQcancel): safe here because this statement is the only one outstanding on the connection and the
    /// thread sends nothing more until the server has answered, so the request cannot reach a later
    /// statement. The connection is then marked (`sentCancelRequest`) and not reused by anyone else.
    mutating func run(deadline: UInt64?, interrupted: () -> Bool, send: () -> Int32) throws -> QueryResult {
        if interrupted() { throw CancellationError() }
        let handle = try handle()
        guard send() == 1 else { throw PostgresError.connection(LibPQConnection.errorMessage(of: handle)) }
        var cancelled: CancelReason?
        var cancelledAt: UInt64 = 0
        var last: OpaquePointer?
        var firstError: PostgresError?
        // Each result is waited for here, where the deadline and interrupts are watched (PQgetResult would
        // block without either); a simple query with several statements has several results.
        while true {
            while PQisBusy(handle) == 1 {
                let now = monotonicNanoseconds()
                var wait = Connection.interruptPollMilliseconds
                if cancelled != nil {
                    guard now < cancelledAt + Connection.cancelAnswerLimit else {
                        if let last { PQclear(last) }
                        connection = nil
                        throw PostgresError.connection("the server did not stop the statement after a cancel request")
                    }
                } else if let deadline, now >= deadline {
                    (cancelled, cancelledAt) = (.deadline, now)
                    sendCancelRequest()
                    continue
                } else if interrupted() {
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
                firstError = firstError ?? LibPQConnection.error(from: result, connection: handle)
                PQclear(result)
            }
        }
        if let firstError {
            if let last { PQclear(last) }
            if let cancelled, firstError.isStatementTimeout { throw Self.cancellationError(cancelled) }
            throw firstError
        }
        // A statement that finished before the cancel request reached it keeps its result: the server did it.
        guard let last else { throw PostgresError.connection(LibPQConnection.errorMessage(of: handle)) }
        return QueryResult(owning: last)
    }

    /// What the caller sees of a statement stopped by our cancel request.
    static func cancellationError(_ reason: CancelReason) -> any Error {
        switch reason {
        case .interrupted: return CancellationError()
        case .deadline:
            return PostgresError(
                kind: .server, message: "canceling statement due to statement timeout (client deadline)",
                sqlState: "57014")
        }
    }

    mutating func sendCancelRequest() {
        sentCancelRequest = true
        connection?.sendCancelRequest()
    }
}
