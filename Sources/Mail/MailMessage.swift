import Foundation

/// A mailbox: an address and an optional display name.
public struct MailAddress: Sendable, Equatable, CustomStringConvertible {
    public let address: String
    public let name: String?

    /// Fails for anything that could break out of a header or an SMTP command (line breaks, angle brackets,
    /// spaces, control characters) or that lacks an `@`: such an address is refused, never repaired.
    public init?(_ address: String, name: String? = nil) {
        let scalars = address.unicodeScalars
        guard !address.isEmpty, address.count <= 254,
            let at = address.lastIndex(of: "@"), at != address.startIndex, address.index(after: at) != address.endIndex,
            !scalars.contains(where: { $0.value < 0x21 || $0 == "<" || $0 == ">" || $0 == "," || $0.value == 0x7F })
        else { return nil }
        self.address = address
        let trimmed = name?.filter { $0 != "\r" && $0 != "\n" }.trimmingCharacters(in: .whitespaces)
        self.name = (trimmed?.isEmpty ?? true) ? nil : trimmed
    }

    /// `address` or `Display Name <address>` (as in MAIL_FROM); nil when malformed.
    public init?(parsing text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix(">"), let open = text.lastIndex(of: "<") {
            var name = text[..<open].trimmingCharacters(in: .whitespaces)
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
            self.init(String(text[text.index(after: open)..<text.index(before: text.endIndex)]), name: name)
        } else {
            self.init(text)
        }
    }

    /// `Name <address>` as a header value, the name quoted or encoded as RFC 5322 and 2047 require.
    public var headerValue: String {
        guard let name else { return address }
        return "\(MailHeader.phrase(name)) <\(address)>"
    }

    /// `a@b.example` → `b.example`.
    public var domain: String { String(address[address.index(after: address.lastIndex(of: "@")!)...]) }

    public var description: String { headerValue }
}

/// One message with a plain text part and an optional HTML part.
public struct MailMessage: Sendable {
    public var from: MailAddress
    public var to: MailAddress
    public var subject: String
    public var text: String
    public var html: String?
    /// Without angle brackets, e.g. `welcome.cus_01H@shop.example`. The same delivery always carries the
    /// same Message-ID, so receivers (and the `file:` transport) can drop a repeat.
    public var messageID: String
    /// Further headers, e.g. `Idempotency-Key`. Names and values must not contain line breaks.
    public var extraHeaders: [(name: String, value: String)]
    public var date: Date

    public init(
        from: MailAddress, to: MailAddress, subject: String, text: String, html: String? = nil, messageID: String,
        extraHeaders: [(name: String, value: String)] = [], date: Date = Date()
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.extraHeaders = extraHeaders
        self.date = date
    }

    /// The message as RFC 5322 text with CRLF line ends, ready for SMTP DATA or an .eml file: UTF-8 bodies
    /// in quoted-printable, multipart/alternative when there is an HTML part.
    public func rendered() -> String {
        var lines: [String] = [
            "Date: \(MailHeader.date(date))",
            "From: \(from.headerValue)",
            "To: \(to.headerValue)",
            "Subject: \(MailHeader.unstructured(subject))",
            "Message-ID: <\(messageID)>",
        ]
        for header in extraHeaders {
            lines.append("\(MailHeader.oneLine(header.name)): \(MailHeader.oneLine(header.value))")
        }
        lines.append("MIME-Version: 1.0")
        if let html {
            // "=_" never occurs in quoted-printable text, so the boundary cannot collide with a body.
            let boundary = "=_clientele_\(UUID().uuidString.lowercased())"
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--\(boundary)")
            lines.append(contentsOf: Self.part(text, type: "text/plain"))
            lines.append("--\(boundary)")
            lines.append(contentsOf: Self.part(html, type: "text/html"))
            lines.append("--\(boundary)--")
        } else {
            lines.append(contentsOf: Self.part(text, type: "text/plain"))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private static func part(_ body: String, type: String) -> [String] {
        [
            "Content-Type: \(type); charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            QuotedPrintable.encode(body),
        ]
    }
}

/// Header value encodings (RFC 5322, RFC 2047).
enum MailHeader {
    static func isPlainASCII(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
    }

    static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }.map(Character.init))
    }

    /// A subject: as is when it is printable ASCII, else one or more UTF-8 encoded-words.
    static func unstructured(_ text: String) -> String {
        let text = oneLine(text)
        return isPlainASCII(text) ? text : encodedWords(text)
    }

    /// A display name: an atom sequence as is, a quoted-string when it has specials, encoded-words when
    /// it is not ASCII.
    static func phrase(_ text: String) -> String {
        guard isPlainASCII(text) else { return encodedWords(text) }
        let atext = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ")
        if text.unicodeScalars.allSatisfy({ atext.contains($0) }) { return text }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// `=?UTF-8?B?…?=` words of at most 75 characters, split between characters, never inside one.
    static func encodedWords(_ text: String) -> String {
        var words: [String] = []
        var chunk = [UInt8]()
        for character in text {
            let bytes = Array(String(character).utf8)
            if (chunk.count + bytes.count + 2) / 3 * 4 > 60 {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk.append(contentsOf: bytes)
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// `Sat, 29 Nov 2025 01:29:00 +0000`
    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}

/// Quoted-printable (RFC 2045 §6.7) for UTF-8 text; line ends become CRLF, lines are at most 76 characters.
enum QuotedPrintable {
    static func encode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            if index > 0 { output.append(contentsOf: [13, 10]) }
            let bytes = Array(line.utf8)
            var column = 0
            for (position, byte) in bytes.enumerated() {
                let isLast = position == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != 61) || ((byte == 32 || byte == 9) && !isLast)
                let width = literal ? 1 : 3
                // Keep room for the soft break "=" within 76 columns.
                if column + width > 75 {
                    output.append(contentsOf: [61, 13, 10])
                    column = 0
                }
                if literal {
                    output.append(byte)
                } else {
                    output.append(contentsOf: [61, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
                }
                column += width
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
