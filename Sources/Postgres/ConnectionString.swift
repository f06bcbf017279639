import CLibPQ

/// Checks a connection string (`DATABASE_URL`) as libpq will read it, before anything connects, and says what
/// is wrong with it without ever repeating its password.
public enum ConnectionString {
    /// Why libpq cannot parse `text`, or nil when it can. libpq takes a URI (`postgresql://…`,
    /// `postgres://…`) or `key=value` pairs; anything else (no `=`) is a plain database name, which is never
    /// malformed, exactly as `PQconnectdbParams` with `expand_dbname` treats it.
    ///
    /// libpq's messages quote the offending part, which can be the password (`invalid percent-encoded token:
    /// "p%zz"`) or the whole URI. Every password in the string is replaced by `***` in the message; if one
    /// still shows, the message is dropped for a generic one.
    public static func problem(in text: String) -> String? {
        guard text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") || text.contains("=") else {
            return nil
        }
        var errorPointer: UnsafeMutablePointer<CChar>?
        if let options = PQconninfoParse(text, &errorPointer) {
            PQconninfoFree(options)
            return nil
        }
        defer { if let errorPointer { PQfreemem(errorPointer) } }
        let libpqMessage = errorPointer.map { String(cString: $0) } ?? "libpq could not parse it"
        return redacted(libpqMessage.split(whereSeparator: \.isNewline).joined(separator: " "), of: text)
    }

    /// `message` with the passwords of `text` replaced by `***`.
    static func redacted(_ message: String, of text: String) -> String {
        let spans = passwordRanges(in: text)
        // Candidates may coincide or overlap (two readings of one user-info): merged, then replaced from the end.
        var merged: [Range<String.Index>] = []
        for range in spans.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        var safeText = text
        for range in merged.reversed() { safeText.replaceSubrange(range, with: "***") }
        var result = message.replacing(text, with: safeText)
        let secrets = Set(spans.map { String(text[$0]) }).filter { !$0.isEmpty }
        for secret in secrets { result = result.replacing("\"\(secret)\"", with: "\"***\"") }
        if secrets.contains(where: { result.contains($0) }) { return "libpq could not parse it" }
        return result
    }

    /// Where passwords may be: a URI's user-info after the first `:` (up to the first `@` of the authority, and
    /// also up to the last `@` of the text, since a malformed URI may be read either way), and the value of
    /// every `password` parameter, in a URI's query or among `key=value` pairs.
    static func passwordRanges(in text: String) -> [Range<String.Index>] {
        var ranges: [Range<String.Index>] = []
        let prefix = ["postgresql://", "postgres://"].first { text.hasPrefix($0) }
        if let prefix {
            let rest = text.index(text.startIndex, offsetBy: prefix.count)
            let authorityEnd = text[rest...].firstIndex { $0 == "/" || $0 == "?" } ?? text.endIndex
            let userInfoEnds = [text[rest..<authorityEnd].firstIndex(of: "@"), text[rest...].lastIndex(of: "@")]
            for end in userInfoEnds.compactMap({ $0 }) {
                if let colon = text[rest..<end].firstIndex(of: ":") {
                    ranges.append(text.index(after: colon)..<end)
                }
            }
            if let query = text.firstIndex(of: "?") {
                var start = text.index(after: query)
                while start < text.endIndex {
                    let end = text[start...].firstIndex(of: "&") ?? text.endIndex
                    let pair = text[start..<end]
                    if pair.hasPrefix("password="), let equals = pair.firstIndex(of: "=") {
                        ranges.append(text.index(after: equals)..<end)
                    }
                    start = end < text.endIndex ? text.index(after: end) : end
                }
            }
        } else {
            ranges += keywordValueRanges(of: "password", in: text)
        }
        return ranges
    }

    /// The values given to `keyword` in a `key=value` string: quoted (`'…'`, backslash escapes) or up to the
    /// next space.
    static func keywordValueRanges(of keyword: String, in text: String) -> [Range<String.Index>] {
        var ranges: [Range<String.Index>] = []
        var index = text.startIndex
        while let found = text[index...].range(of: keyword) {
            index = found.upperBound
            let atWordStart = found.lowerBound == text.startIndex || text[text.index(before: found.lowerBound)].isWhitespace
            var cursor = found.upperBound
            while cursor < text.endIndex, text[cursor].isWhitespace { cursor = text.index(after: cursor) }
            guard atWordStart, cursor < text.endIndex, text[cursor] == "=" else { continue }
            cursor = text.index(after: cursor)
            while cursor < text.endIndex, text[cursor].isWhitespace { cursor = text.index(after: cursor) }
            let valueStart = cursor
            if cursor < text.endIndex, text[cursor] == "'" {
                let inner = text.index(after: cursor)
                cursor = inner
                while cursor < text.endIndex, text[cursor] != "'" {
                    if text[cursor] == "\\", text.index(after: cursor) < text.endIndex { cursor = text.index(after: cursor) }
                    cursor = text.index(after: cursor)
                }
                ranges.append(inner..<cursor)
                if cursor < text.endIndex { cursor = text.index(after: cursor) }
            } else {
                while cursor < text.endIndex, !text[cursor].isWhitespace { cursor = text.index(after: cursor) }
                ranges.append(valueStart..<cursor)
            }
            index = cursor
        }
        return ranges
    }
}
