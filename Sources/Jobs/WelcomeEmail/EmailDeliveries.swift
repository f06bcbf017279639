import Postgres

/// Who a welcome email goes to, read from the `customer` table.
struct WelcomeEmailRecipient: Sendable {
    let id: String
    let email: String
    let firstName: String?
    let lastName: String?

    var fullName: String? {
        let name = [firstName, lastName].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        return name.isEmpty ? nil : name
    }
}

/// A row of `email_delivery` that is still pending: this attempt may send it.
struct PendingDelivery: Sendable {
    let id: Int
    let messageID: String
    let attempts: Int
}

/// The SQL of `email_delivery`: one row per (customer, template), so an email is sent at most once however
/// often its job runs (but see README, "Welcome email: delivery guarantees", for the one window).
enum EmailDeliveries {
    /// The customer, unless it does not exist or was deleted.
    static func recipient(customerID: String, on database: Database) async throws -> WelcomeEmailRecipient? {
        let result = try await database.query(
            "SELECT id, email, first_name, last_name FROM customer WHERE id = \(customerID) AND deleted_at IS NULL")
        guard let row = result.first else { return nil }
        return WelcomeEmailRecipient(
            id: try row.decode("id"), email: try row.decode("email"), firstName: try row.decode("first_name"),
            lastName: try row.decode("last_name"))
    }

    /// Records an attempt: inserts the pending row, or counts one more attempt on a pending one. Returns nil
    /// when the delivery was already sent or failed for good: then there is nothing to send.
    static func begin(
        customerID: String, template: String, recipient: String, idempotencyKey: String, messageID: String,
        on database: Database
    ) async throws -> PendingDelivery? {
        let result = try await database.query(
            """
            INSERT INTO email_delivery (customer_id, template, recipient, idempotency_key, message_id, attempts)
            VALUES (\(customerID), \(template), \(recipient), \(idempotencyKey), \(messageID), 1)
            ON CONFLICT (customer_id, template) DO UPDATE
                SET attempts = email_delivery.attempts + 1, recipient = EXCLUDED.recipient
                WHERE email_delivery.status = 'pending'
            RETURNING id, message_id, attempts
            """)
        guard let row = result.first else { return nil }
        return PendingDelivery(id: try row.decode("id"), messageID: try row.decode("message_id"), attempts: try row.decode("attempts"))
    }

    /// The delivery is sent and its job completed, in one statement (so one transaction): a later attempt
    /// finds the delivery sent and sends nothing.
    static func markSent(_ delivery: PendingDelivery, completing job: Job) -> SQL {
        """
        WITH delivered AS (
            UPDATE email_delivery SET status = 'sent', sent_at = now(), last_error = NULL
            WHERE id = \(delivery.id)::bigint
            RETURNING id
        )
        \(JobQueue.completion(of: job))
        """
    }

    /// The server refused the message for good: the delivery failed and its job is discarded, with the
    /// server's answer in both, in one statement.
    static func markFailed(_ delivery: PendingDelivery, error: String, discarding job: Job) -> SQL {
        """
        WITH failed AS (
            UPDATE email_delivery SET status = 'failed', last_error = \(error)
            WHERE id = \(delivery.id)::bigint
            RETURNING id
        )
        \(JobQueue.discarding(job, error: error))
        """
    }

    /// A temporary failure, kept for operators; the job is retried with backoff.
    static func recordError(_ delivery: PendingDelivery, error: String, on database: Database) async throws {
        try await database.query("UPDATE email_delivery SET last_error = \(error) WHERE id = \(delivery.id)::bigint")
    }
}
