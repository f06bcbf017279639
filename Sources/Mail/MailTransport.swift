/// Something that delivers a message: an SMTP server, a folder of .eml files, the log.
public protocol MailTransport: Sendable {
    /// Returns once the message was accepted. Throws `MailError`.
    func send(_ message: MailMessage) async throws
    /// What it delivers to, for logs: never a password.
    var description: String { get }
}

/// Why a message was not accepted, and whether trying again may help.
public struct MailError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Down, unreachable, timed out, or a 4xx answer: try again later.
        case temporary
        /// A 5xx answer to the message or its recipient: trying again gets the same answer.
        case permanent
    }

    public let kind: Kind
    public let message: String
    /// The server's reply code, when there was one.
    public let replyCode: Int?

    public init(_ kind: Kind, _ message: String, replyCode: Int? = nil) {
        self.kind = kind
        self.message = message
        self.replyCode = replyCode
    }

    public var isPermanent: Bool { kind == .permanent }
    public var description: String { message }
}
