import Mail
import Mustache

/// The welcome email's Mustache templates (Sources/Jobs/Templates/welcome.{subject,text,html}.mustache),
/// compiled into the binary, so the worker needs no files at run time. Subject and text declare
/// `{{% CONTENT_TYPE: TEXT}}` (nothing escaped); the HTML part escapes every `{{value}}`.
///
/// Values: shop_name, greeting_name (first name, else the address), first_name, last_name, email.
struct WelcomeEmailTemplate: Sendable {
    let subject: MustacheTemplate
    let text: MustacheTemplate
    let html: MustacheTemplate

    init() throws {
        subject = try MustacheTemplate(string: String(decoding: PackageResources.welcome_subject_mustache, as: UTF8.self))
        text = try MustacheTemplate(string: String(decoding: PackageResources.welcome_text_mustache, as: UTF8.self))
        html = try MustacheTemplate(string: String(decoding: PackageResources.welcome_html_mustache, as: UTF8.self))
    }

    struct Rendered {
        let subject: String
        let text: String
        let html: String
    }

    func render(shopName: String, customer: WelcomeEmailRecipient) -> Rendered {
        let values: [String: String] = [
            "shop_name": shopName,
            "greeting_name": customer.firstName ?? customer.email,
            "first_name": customer.firstName ?? "",
            "last_name": customer.lastName ?? "",
            "email": customer.email,
        ]
        return Rendered(
            subject: subject.render(values).trimmingCharacters(in: .whitespacesAndNewlines),
            text: text.render(values),
            html: html.render(values))
    }
}
