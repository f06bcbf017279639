import Foundation
import Mail
import Testing

@Suite struct MailMessageTests {
    @Test func addressesThatCouldInjectHeadersOrCommandsAreRefused() {
        #expect(MailAddress("ann@example.com") != nil)
        #expect(MailAddress("ann@example.com\r\nBcc: eve@example.com") == nil)
        #expect(MailAddress("ann@example.com>") == nil)
        #expect(MailAddress("ann example.com") == nil)
        #expect(MailAddress("@example.com") == nil)
        #expect(MailAddress(parsing: "Shop Team <shop@example.com>") == MailAddress("shop@example.com", name: "Shop Team"))
        #expect(MailAddress(parsing: "shop@example.com")?.name == nil)
    }

    @Test func headersAreEncodedAndTheIdentityHeadersAreSet() {
        let message = MailMessage(
            from: MailAddress("shop@example.com", name: "Zoë's Shop")!, to: MailAddress("a@example.com", name: "Smith, Ann")!,
            subject: "Willkommen bei Zoë", text: "Hallo\n.dot line ünïcode", html: "<p>x</p>", messageID: "welcome.cus_1@example.com",
            extraHeaders: [("Idempotency-Key", "welcome/cus_1")])
        let text = message.rendered()
        #expect(text.contains("To: \"Smith, Ann\" <a@example.com>\r\n"))
        #expect(text.contains("From: =?UTF-8?B?"))
        #expect(text.contains("Subject: =?UTF-8?B?\(Data("Willkommen bei Zoë".utf8).base64EncodedString())?=\r\n"))
        #expect(text.contains("Message-ID: <welcome.cus_1@example.com>\r\n"))
        #expect(text.contains("Idempotency-Key: welcome/cus_1\r\n"))
        #expect(text.contains("Hallo\r\n.dot line =C3=BCn=C3=AFcode"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }
}
