import Logging
import Postgres

/// Runs jobs of one kind. Returning records the outcome; throwing fails the attempt (retried with backoff,
/// discarded after the last one), unless the error is a `PermanentJobError` (discarded at once).
///
/// An attempt has a time limit (`timeout`, else the worker's JOB_TIMEOUT): when it passes, the handler's
/// task is cancelled and the attempt fails as timed out. A handler must therefore stop when cancelled; its
/// database statements and SMTP sends do (they throw `CancellationError`).
public protocol JobHandler: Sendable {
    /// Seconds an attempt of this kind may run; nil takes the worker's default (JOB_TIMEOUT).
    var timeout: Double? { get }
    func run(_ job: Job, context: JobContext) async throws -> JobOutcome
}

extension JobHandler {
    public var timeout: Double? { nil }
}

/// What a handler may use.
public struct JobContext: Sendable {
    public let database: Database
    public let logger: Logger
}

public enum JobOutcome: Sendable, Equatable {
    /// Done: the runner marks the job completed (batched with others).
    case completed
    /// The handler already finalized the job itself, in the same statement as its own effect (see
    /// `WelcomeEmailHandler`), so the runner has nothing left to record.
    case finalizedByHandler
}

/// An error that another attempt cannot fix: the job is discarded at once, with this reason.
public struct PermanentJobError: Error, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Handlers by job kind.
public struct JobHandlers: Sendable {
    private var handlers: [String: any JobHandler] = [:]

    public init() {}

    public mutating func register(_ kind: String, _ handler: any JobHandler) {
        handlers[kind] = handler
    }

    public func handler(for kind: String) -> (any JobHandler)? { handlers[kind] }

    public var kinds: [String] { handlers.keys.sorted() }
}

/// An attempt of a job whose kind has no handler fails like any other (and is retried: a newer worker that
/// knows the kind may be deployed meanwhile).
struct UnknownJobKind: Error, CustomStringConvertible {
    let kind: String
    let known: [String]
    var description: String { "no handler for job kind \"\(kind)\" (this worker handles: \(known.joined(separator: ", ")))" }
}

extension JobHandlers {
    /// The kinds Clientele enqueues: `customer.created` (welcome email), `customer.updated` and
    /// `customer.deleted` (nothing to do yet), and `noop` (benchmarks).
    public static func clientele(welcomeEmail: WelcomeEmailHandler) -> JobHandlers {
        var handlers = JobHandlers()
        handlers.register(WelcomeEmailHandler.kind, welcomeEmail)
        handlers.register("customer.updated", IgnoredEventHandler())
        handlers.register("customer.deleted", IgnoredEventHandler())
        handlers.register("noop", NoopHandler())
        return handlers
    }
}
