import HTTPTypes
import Hummingbird

/// Who may call a route. The router decides it: a `.signedIn` route is registered on the `/admin` group that
/// carries the authentication middleware, which Hummingbird runs only for the routes of that group. So no
/// spelling of a path (`//admin`, `/admin/x/../`) reaches such a route without it, and no list of open paths
/// exists to forget one in.
enum Access {
    /// Anyone: the login routes, `/health`, `/metrics`, the admin page.
    case open
    /// A session cookie, a bearer JWT or an API token of a live admin user; else 401.
    case signedIn
}

/// One route as registered: what the metrics count it as and what `/debug/routes` lists.
struct Endpoint: Sendable {
    let method: HTTPRequest.Method
    /// As written at registration (`/admin/customers/:id`): the metrics' `route` label.
    let path: String
    let access: Access
}

/// Registers the routes on the router, each in the group its access and body limit call for, and keeps
/// their list. Used once per process while the router is made; `endpoints()` hands out the finished list.
struct RouteRegistry {
    static let adminPrefix = "/admin"

    private let router: Router<AdminContext>
    private let authentication: AuthenticationMiddleware
    private let bodyLimit: Int
    private var routes: [Endpoint] = []
    private var groups: [GroupKey: RouterGroup<AdminContext>] = [:]

    private struct GroupKey: Hashable {
        let access: Access
        let bodyLimit: Int
    }

    init(router: Router<AdminContext>, authentication: AuthenticationMiddleware, bodyLimit: Int) {
        self.router = router
        self.authentication = authentication
        self.bodyLimit = bodyLimit
    }

    /// Registers `handler` for `method` and `path` (the whole path: `/admin/…` for a `.signedIn` route).
    /// `bodyLimit` replaces MAX_BODY_SIZE for this route (the CSV import).
    mutating func add(
        _ method: HTTPRequest.Method, _ path: String, _ access: Access, bodyLimit: Int? = nil,
        use handler: @escaping @Sendable (Request, AdminContext) async throws -> some ResponseGenerator
    ) {
        let (group, relativePath) = groupAndPath(for: path, access, bodyLimit: bodyLimit ?? self.bodyLimit)
        group.on(RouterPath(relativePath), method: method, use: handler)
        routes.append(Endpoint(method: method, path: path, access: access))
    }

    /// Registers 405 `not_allowed` for the methods a registered path does not serve (the router alone answers
    /// them 404), in the group of that path's routes: a path with a signed-in route asks for credentials
    /// first. OPTIONS is open, as a browser's preflight carries no credentials.
    mutating func addNotAllowedAnswers() {
        var paths: [String] = []
        var served: [String: (access: Access, methods: Set<HTTPRequest.Method>)] = [:]
        for route in routes {
            var entry = served[route.path] ?? (route.access, [])
            if entry.methods.isEmpty { paths.append(route.path) }
            if route.access == .signedIn { entry.access = .signedIn }
            entry.methods.insert(route.method)
            served[route.path] = entry
        }
        let notAllowed: @Sendable (Request, AdminContext) async throws -> Response = { _, _ in throw APIError.notAllowed }
        for path in paths {
            guard let entry = served[path] else { continue }
            for method in [HTTPRequest.Method.get, .head, .post, .put, .patch, .delete] where !entry.methods.contains(method) {
                let (group, relativePath) = groupAndPath(for: path, entry.access, bodyLimit: bodyLimit)
                group.on(RouterPath(relativePath), method: method, use: notAllowed)
            }
            let (group, relativePath) = groupAndPath(for: path, .open, bodyLimit: bodyLimit)
            group.on(RouterPath(relativePath), method: .options, use: notAllowed)
        }
    }

    /// The registered routes, numbered in registration order (the same in every worker process).
    func endpoints() -> Endpoints { Endpoints(routes) }

    private mutating func groupAndPath(
        for path: String, _ access: Access, bodyLimit: Int
    ) -> (RouterGroup<AdminContext>, String) {
        let key = GroupKey(access: access, bodyLimit: bodyLimit)
        let group: RouterGroup<AdminContext>
        if let existing = groups[key] {
            group = existing
        } else {
            // The body limit first: a request too large for its route is refused before anything else.
            switch access {
            case .open:
                group = router.group().add(middleware: ContentLengthLimit(limit: bodyLimit))
            case .signedIn:
                group = router.group(RouterPath(Self.adminPrefix)).add(middleware: ContentLengthLimit(limit: bodyLimit))
                    .add(middleware: authentication)
            }
            groups[key] = group
        }
        guard access == .signedIn else { return (group, path) }
        precondition(path.hasPrefix(Self.adminPrefix + "/"), "a signed-in route lives under /admin: \(path)")
        return (group, String(path.dropFirst(Self.adminPrefix.count)))
    }
}

/// The routes of the router, frozen once it is built: the metrics' numbering (1 + the position; 0 for a
/// request no route served) and labels, found by the endpoint the router matched, never by the raw path.
struct Endpoints: Sendable {
    let all: [Endpoint]
    private let numbers: [String: Int]

    init(_ endpoints: [Endpoint]) {
        all = endpoints
        var numbers: [String: Int] = [:]
        for (index, endpoint) in endpoints.enumerated() {
            numbers[Self.key(endpoint.method, RouterPath(endpoint.path).description)] = index + 1
        }
        self.numbers = numbers
    }

    /// The number of the route the router matched (`context.endpointPath`, in Hummingbird's spelling
    /// `/admin/customers/{id}`); 0 when none did, or it only answered 405.
    func number(of method: HTTPRequest.Method, endpointPath: String?) -> Int {
        guard let endpointPath else { return 0 }
        return numbers[Self.key(method, endpointPath)] ?? 0
    }

    private static func key(_ method: HTTPRequest.Method, _ endpointPath: String) -> String {
        "\(method.rawValue) \(endpointPath)"
    }
}

/// Refuses a request whose declared body is larger than its route takes, before any of it is read (the routes
/// also stop reading at the limit).
struct ContentLengthLimit: RouterMiddleware {
    typealias Context = AdminContext
    let limit: Int

    func handle(
        _ request: Request, context: AdminContext, next: (Request, AdminContext) async throws -> Response
    ) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.payloadTooLarge(limit: limit)
        }
        return try await next(request, context)
    }
}
