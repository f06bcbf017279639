/// The one error type of the Postgres module: what the server said (SQLSTATE and its fields), or what went
/// wrong on our side of the wire. Callers match on codes and named checks, never on message text.
///
/// Its text (`description`, which logs and `job.errors` show) carries the SQLSTATE, the constraint and the
/// server's message, never `detail`: the server puts row values there ("Key (email)=(ann@example.com)
/// already exists"), which must not reach a log line. `detail` stays readable for a debug-level line.
public struct PostgresError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The server answered with an error (`sqlState` is set).
        case server
        /// No connection could be made, or the connection broke.
        case connection
        /// No connection became free within the acquire timeout, or the queue is full.
        case poolExhausted
        /// A value could not be decoded into the type asked for.
        case decoding
        /// Anything else libpq reports (a protocol surprise, a misuse).
        case client
    }

    public var kind: Kind
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?

    public init(
        kind: Kind, message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
    }

    /// 23505
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// 23503
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
    /// 40001 (and 40P01, a deadlock, which callers retry the same way)
    public var isSerializationFailure: Bool { sqlState == "40001" || sqlState == "40P01" }
    /// The connection is gone: class 08, an administrator's or the server's shutdown (57P01–57P03), or a
    /// break seen by libpq itself.
    public var isConnectionLost: Bool {
        if kind == .connection { return true }
        guard let state = sqlState else { return false }
        return state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03"
    }
    /// The statement failed on a value it was given: class 22 (data exception: out of range, invalid text
    /// representation, …) or 54000 (a value too large for an index). Callers answer 400, not 500.
    public var isInvalidInput: Bool {
        guard kind == .server, let state = sqlState else { return false }
        return state.hasPrefix("22") || state == "54000"
    }
    /// 57014: the statement was cancelled, by its deadline (`statement_timeout`, or the client-side deadline
    /// of a leased connection) or by an operator's `pg_cancel_backend`.
    public var isStatementTimeout: Bool { sqlState == "57014" }
    /// The database cannot serve now (down, restarting, pool exhausted, a statement past its deadline):
    /// callers answer 503 with Retry-After, not 500.
    public var isUnavailable: Bool {
        kind == .poolExhausted || isConnectionLost || isStatementTimeout
            || sqlState == "53300"  // too_many_connections
    }

    /// SQLSTATE, constraint and message; never `detail` (row values).
    public var description: String {
        var text = "PostgresError(\(kind)"
        if let sqlState { text += ", \(sqlState)" }
        text += "): \(message)"
        if let constraint { text += " (constraint \(constraint))" }
        return text
    }

    /// The same as `description`, so that `String(reflecting:)` does not list the fields (detail among them).
    public var debugDescription: String { description }

    static func connection(_ message: String) -> PostgresError {
        PostgresError(kind: .connection, message: message)
    }
    static let poolExhausted = PostgresError(kind: .poolExhausted, message: "no database connection became free in time")
}
