import Postgres

/// The admin session cookie: `clientele.sid`, HttpOnly, SameSite=Lax, Path=/, Secure when COOKIE_SECURE.
struct SessionCookie {
    static let name = "clientele.sid"
    let secure: Bool

    func setCookie(value: String, expiresAt: Timestamp) -> String {
        let maxAge = max(0, (expiresAt.microsecondsSinceEpoch - Timestamp.now().microsecondsSinceEpoch) / 1_000_000)
        let expires = HTTPDate.format(Int(expiresAt.microsecondsSinceEpoch / 1_000_000))
        return "\(Self.name)=\(value); Path=/; Expires=\(expires); Max-Age=\(maxAge); HttpOnly; SameSite=Lax"
            + (secure ? "; Secure" : "")
    }

    /// Tells the browser to forget the cookie.
    func clearCookie() -> String {
        "\(Self.name)=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax"
            + (secure ? "; Secure" : "")
    }
}
