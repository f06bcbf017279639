import Auth
import HTTPTypes
import Hummingbird

/// The middleware of the `/admin` route group (RouteRegistry, `.signedIn` routes): Hummingbird runs it only
/// for a request the router matched to one of those routes, so it decides nothing from the path. A request
/// needs a session cookie, a bearer JWT or an API token of a live admin user, else 401.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AdminContext
    let auth: AuthService
    let cache: CredentialCache

    func handle(
        _ request: Request, context: AdminContext, next: (Request, AdminContext) async throws -> Response
    ) async throws -> Response {
        guard let user = try await authenticatedUser(request) else { throw APIError.unauthorized }
        var context = context
        context.user = user
        return try await next(request, context)
    }

    /// Tries the credentials the request carries, cheapest first: a JWT needs no lookup of the token.
    private func authenticatedUser(_ request: Request) async throws -> AdminUser? {
        if let authorization = request.headers[.authorization] {
            guard let token = Self.bearerToken(in: authorization) else { return nil }
            return try await cache.user(for: "bearer " + token) { try await auth.user(bearerToken: token) }
        }
        if let token = request.headers[.medusaAccessToken] {
            return try await cache.user(for: "token " + token) { try await auth.user(apiToken: token) }
        }
        if let session = Cookies(request.headers[.cookie]).value(SessionCookie.name) {
            return try await auth.user(sessionCookie: session)
        }
        return nil
    }

    /// The token of `Bearer <token>`, the scheme in any case, read as `split(separator: " ", maxSplits: 1)`
    /// reads it (spaces before the scheme skipped, the token everything after the space that ends it), but
    /// over bytes: splitting a JWT by Characters was a visible share of every authenticated request.
    static func bearerToken(in authorization: String) -> String? {
        let bytes = authorization.utf8
        guard let schemeStart = bytes.firstIndex(where: { $0 != UInt8(ascii: " ") }),
            let space = bytes[schemeStart...].firstIndex(of: UInt8(ascii: " "))
        else { return nil }
        let scheme = bytes[schemeStart..<space]
        // `| 0x20` lowercases an ASCII letter; only "B" and "b" (and so on) can give these bytes.
        guard scheme.count == 6, zip(scheme, "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        let tokenStart = bytes.index(after: space)
        guard tokenStart != bytes.endIndex else { return nil }
        return String(authorization[tokenStart...])
    }
}

extension HTTPField.Name {
    static let medusaAccessToken = Self("x-medusa-access-token")!
}

/// The `Cookie` header's pairs.
struct Cookies {
    private var pairs: [(String, String)] = []

    init(_ header: String?) {
        guard let header else { return }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            pairs.append((pair[0].trimmingSpaces, pair[1].trimmingSpaces))
        }
    }

    func value(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }
}
