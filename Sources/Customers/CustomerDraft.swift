import Postgres
import Validation

/// The fields of a new customer, read and checked by one piece of code for both ways customers are made:
/// the create route (a JSON body) and the CSV import (each row, turned into the same kind of object). So a
/// row is checked exactly as a create is: same rules, same messages, in the same order.
public struct CustomerDraft: Sendable {
    public var email: String
    public var firstName: String?
    public var lastName: String?
    /// In clear; hashed before it is stored.
    public var password: String?
    public var phone: String?
    public var metadata: JSONText?

    /// What must be present. The create route makes a registered customer, so names and password are
    /// required; an imported row needs only its email (API.md "Imports"): without a password it is a guest.
    public enum Rules: Sendable {
        case create
        case importedRow
    }

    /// The fields every draft may carry, in the order their messages are reported.
    public static let fields = ["email", "first_name", "last_name", "password", "phone", "metadata"]

    /// Reads email, first_name, last_name, password, phone and metadata from `body`. Nil when any rule
    /// failed (or the body had an unknown key): the messages are in `body.validator`.
    public static func read(_ body: inout BodyReader, rules: Rules) -> CustomerDraft? {
        let email = body.email("email", required: true)
        let firstName: String?
        let lastName: String?
        let password: String?
        switch rules {
        case .create:
            firstName = body.requiredString("first_name")
            lastName = body.requiredString("last_name")
            password = body.password("password", required: true)
        case .importedRow:
            firstName = body.optionalString("first_name") ?? nil
            lastName = body.optionalString("last_name") ?? nil
            password = body.password("password", required: false)
        }
        let phone = body.optionalString("phone") ?? nil
        let metadata = body.object("metadata")
        guard body.validator.messages.isEmpty, let email else { return nil }
        return CustomerDraft(
            email: email, firstName: firstName, lastName: lastName, password: password, phone: phone,
            metadata: metadata?.jsonText)
    }
}
