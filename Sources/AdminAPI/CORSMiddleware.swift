import HTTPTypes
import Hummingbird

/// CORS for the admin UI: only origins listed in ADMIN_CORS get CORS headers, with credentials (the
/// session cookie) allowed, as Medusa's `admin_cors`. Other origins get none, so browsers refuse them.
struct AdminCORSMiddleware: RouterMiddleware {
    typealias Context = AdminContext
    let allowedOrigins: Set<String>

    func handle(
        _ request: Request, context: AdminContext, next: (Request, AdminContext) async throws -> Response
    ) async throws -> Response {
        guard let origin = request.headers[.origin], allowedOrigins.contains(origin) else {
            return try await next(request, context)
        }
        var response: Response
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, DELETE, OPTIONS"
            response.headers[.accessControlAllowHeaders] =
                request.headers[.accessControlRequestHeaders] ?? "Content-Type, Authorization, x-medusa-access-token"
            response.headers[.accessControlMaxAge] = "600"
        } else {
            response = try await next(request, context)
        }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.accessControlAllowCredentials] = "true"
        response.headers[.vary] = "Origin"
        return response
    }
}
