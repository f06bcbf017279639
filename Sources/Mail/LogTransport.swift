import Logging

/// Delivers nothing: logs who would have got which message (the default, for development).
public struct LogTransport: MailTransport {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func send(_ message: MailMessage) async throws {
        logger.info(
            "mail not sent (MAIL_TRANSPORT=log)",
            metadata: [
                "to": "\(message.to.address)", "subject": "\(message.subject)", "message_id": "\(message.messageID)",
            ])
    }

    public var description: String { "log" }
}
