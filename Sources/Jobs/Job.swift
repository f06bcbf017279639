import Postgres

/// A job a worker has claimed: it is `running`, leased by this worker, at attempt `attempt`.
public struct Job: Sendable {
    public let id: Int
    public let kind: String
    public let args: JSONText
    /// This attempt's number, from 1.
    public let attempt: Int
    public let maxAttempts: Int

    public init(id: Int, kind: String, args: JSONText, attempt: Int, maxAttempts: Int) {
        self.id = id
        self.kind = kind
        self.args = args
        self.attempt = attempt
        self.maxAttempts = maxAttempts
    }

    init(row: Row) throws {
        id = try row.decode("id")
        kind = try row.decode("kind")
        args = try row.decode("args")
        attempt = try row.decode("attempt")
        maxAttempts = try row.decode("max_attempts")
    }
}
