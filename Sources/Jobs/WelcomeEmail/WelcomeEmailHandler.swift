import Foundation
import Logging
import Mail
import Postgres

/// Settings of the welcome email (WELCOME_EMAIL, SHOP_NAME, MAIL_FROM).
public struct WelcomeEmailSettings: Sendable {
    public var enabled: Bool
    public var shopName: String
    public var from: MailAddress

    public init(enabled: Bool = true, shopName: String = "Clientele", from: MailAddress) {
        self.enabled = enabled
        self.shopName = shopName
        self.from = from
    }
}

/// `customer.created` → one welcome email to the customer, recorded in `email_delivery`.
///
/// The order of steps is what keeps "sent once":
/// 1. the delivery row is inserted (or its attempt counted) only while it is `pending`; a delivery already
///    `sent` or `failed` ends the job without sending;
/// 2. the message goes to the transport, with a Message-ID and an `Idempotency-Key` derived from
///    `welcome/<customer id>`, the same on every attempt;
/// 3. as soon as the server accepted it, one statement marks the delivery `sent` and the job `completed`.
/// A crash between 2 and 3 is the one window in which a retry sends again (README, "Welcome email: delivery
/// guarantees"); receivers can drop the repeat by its Message-ID.
public struct WelcomeEmailHandler: JobHandler {
    public static let kind = "customer.created"
    static let template = "welcome"

    let settings: WelcomeEmailSettings
    let transport: any MailTransport
    let templates: WelcomeEmailTemplate

    public init(settings: WelcomeEmailSettings, transport: any MailTransport) throws {
        self.settings = settings
        self.transport = transport
        templates = try WelcomeEmailTemplate()
    }

    struct Arguments: Decodable {
        let customer_id: String
    }

    public func run(_ job: Job, context: JobContext) async throws -> JobOutcome {
        guard settings.enabled else {
            context.logger.debug("welcome email is off (WELCOME_EMAIL=off)")
            return .completed
        }
        guard let arguments = try? job.args.decode(Arguments.self) else {
            throw PermanentJobError("args must be {\"customer_id\": \"cus_...\"}, got \(job.args.text.prefix(200))")
        }
        let database = context.database
        guard let customer = try await EmailDeliveries.recipient(customerID: arguments.customer_id, on: database) else {
            context.logger.info("customer no longer exists: no welcome email", metadata: ["customer_id": "\(arguments.customer_id)"])
            return .completed
        }
        guard let to = MailAddress(customer.email, name: customer.fullName) else {
            throw PermanentJobError("customer \(customer.id) has no usable email address")
        }
        let key = "\(Self.template)/\(customer.id)"
        guard
            let delivery = try await EmailDeliveries.begin(
                customerID: customer.id, template: Self.template, recipient: to.address, idempotencyKey: key,
                messageID: Self.messageID(for: key, domain: settings.from.domain), on: database)
        else {
            context.logger.info("welcome email was already delivered or refused: not sent again", metadata: ["customer_id": "\(customer.id)"])
            return .completed
        }

        let rendered = templates.render(shopName: settings.shopName, customer: customer)
        let message = MailMessage(
            from: settings.from, to: to, subject: rendered.subject, text: rendered.text, html: rendered.html,
            messageID: delivery.messageID, extraHeaders: [("Idempotency-Key", key)])
        do {
            try await transport.send(message)
        } catch let error as MailError where error.isPermanent {
            try await database.query(EmailDeliveries.markFailed(delivery, error: error.message, discarding: job))
            context.logger.error(
                "welcome email refused for good: delivery failed, job discarded",
                metadata: ["customer_id": "\(customer.id)", "error": "\(error.message)"])
            return .finalizedByHandler
        } catch {
            try? await EmailDeliveries.recordError(delivery, error: "\(error)", on: database)
            throw error
        }

        // Accepted: record it before anything else can fail. A short outage of the database here is waited
        // out rather than turned into a retry, which would send the message again. In a task of its own, which
        // does not inherit this attempt's cancellation: a job timeout or a stopping worker arriving now must
        // not skip the record of a message the server already has.
        try await Task {
            try await Self.retryingWhileUnavailable {
                try await database.query(EmailDeliveries.markSent(delivery, completing: job))
            }
        }.value
        context.logger.info(
            "welcome email sent",
            metadata: ["customer_id": "\(customer.id)", "message_id": "\(delivery.messageID)", "attempt": "\(delivery.attempts)"])
        return .finalizedByHandler
    }

    /// `welcome/cus_01H…` → `welcome.cus_01H…@<MAIL_FROM's domain>`: stable per delivery.
    static func messageID(for key: String, domain: String) -> String {
        let local = String(key.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "." })
        return "\(local)@\(domain)"
    }

    private static func retryingWhileUnavailable(_ body: () async throws -> Void) async throws {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch let error as PostgresError where error.isUnavailable && attempt < 20 {
                attempt += 1
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
