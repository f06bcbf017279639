import Auth
import Validation
import HTTPTypes
import Hummingbird
import JSON

/// `/admin/auth` (session login, current user, logout) and `/admin/auth/token` (JWT), as Medusa v1.
struct AuthRoutes {
    let auth: AuthService
    let cookie: SessionCookie
    let maxBodySize: Int

    func register(on routes: inout RouteRegistry) {
        routes.add(.post, "/admin/auth", .open) { request, context in
            let user = try await login(request, context: context)
            let (value, expiresAt) = try await auth.startSession(for: user)
            return Response.json(
                userJSON(user), headers: [.setCookie: cookie.setCookie(value: value, expiresAt: expiresAt)])
        }
        routes.add(.get, "/admin/auth", .signedIn) { request, context in
            try Validator.rejectAnyQuery(request)
            guard let user = context.user else { throw APIError.unauthorized }
            return Response.json(userJSON(user))
        }
        routes.add(.delete, "/admin/auth", .signedIn) { request, _ in
            if let session = Cookies(request.headers[.cookie]).value(SessionCookie.name) {
                try await auth.endSession(cookieValue: session)
            }
            var writer = JSONWriter(capacity: 2)
            writer.beginObject()
            writer.endObject()
            return Response.json(writer, headers: [.setCookie: cookie.clearCookie()])
        }
        routes.add(.post, "/admin/auth/token", .open) { request, context in
            let user = try await login(request, context: context)
            var writer = JSONWriter(capacity: 256)
            writer.beginObject()
            writer.key("access_token")
            writer.string(try await auth.issueAccessToken(for: user))
            writer.endObject()
            return Response.json(writer)
        }
    }

    /// Reads `{email, password}` and checks them; wrong credentials are a 401, too many failures a 429.
    /// The body is validated first, as Medusa's `AdminPostAuthReq` does: a missing or empty email or password
    /// is a 400 that never reaches the credential check, so it neither costs a hash nor counts as a failed
    /// login for the throttle.
    private func login(_ request: Request, context: AdminContext) async throws -> AdminUser {
        try Validator.rejectAnyQuery(request)
        var request = request
        var body = try BodyReader(bytes: try await request.bodyBytes(limit: maxBodySize), allowed: ["email", "password"])
        let email = body.email("email", required: true)
        let password = Self.readPassword(&body)
        try body.finish()
        do {
            return try await auth.login(email: email!, password: password!, clientAddress: context.remoteAddress)
        } catch AuthError.invalidCredentials {
            throw APIError.unauthorized
        } catch AuthError.throttled(let retryAfter) {
            throw APIError.tooManyRequests(retryAfter: retryAfter)
        }
    }

    /// `password`: a non-empty string (`password should not be empty` when missing, null or "").
    static func readPassword(_ body: inout BodyReader) -> String? {
        switch body.object["password"] {
        case nil, .null, .string(""):
            body.validator.add("password should not be empty")
            return nil
        default:
            return body.requiredString("password")
        }
    }

    private func userJSON(_ user: AdminUser) -> JSONWriter {
        var writer = JSONWriter(capacity: 384)
        writer.beginObject()
        writer.key("user")
        writer.beginObject()
        writer.key("id"); writer.string(user.id)
        writer.key("email"); writer.string(user.email)
        writer.key("first_name"); writer.string(user.firstName)
        writer.key("last_name"); writer.string(user.lastName)
        writer.key("role"); writer.string(user.role)
        writer.key("metadata"); writer.raw(user.metadata?.text)
        writer.key("created_at"); writer.string(user.createdAt.iso8601Milliseconds)
        writer.key("updated_at"); writer.string(user.updatedAt.iso8601Milliseconds)
        writer.key("deleted_at"); writer.string(user.deletedAt?.iso8601Milliseconds)
        writer.endObject()
        writer.endObject()
        return writer
    }
}
