import HTTPTypes
import Hummingbird

/// The routes the API serves, in the order they were registered (the same in every worker process), kept
/// beside the router: to tell a path served under another method from an unknown path (405 `not_allowed`
/// versus 404 `Route not found`), and to number routes for the shared metrics.
final class RouteTable: @unchecked Sendable {
    private(set) var routes: [(method: HTTPRequest.Method, path: String, segments: [Substring])] = []
    /// Routes that take larger bodies than MAX_BODY_SIZE (an import file), by their position in `routes`.
    private var bodyLimits: [Int: Int] = [:]

    /// Registers `handler` on the router and records the route here, from one path string. `bodyLimit`
    /// replaces MAX_BODY_SIZE for this route.
    func add(
        _ method: HTTPRequest.Method, _ path: String, on router: Router<AdminContext>, bodyLimit: Int? = nil,
        use handler: @escaping @Sendable (Request, AdminContext) async throws -> some ResponseGenerator
    ) {
        if let bodyLimit { bodyLimits[routes.count] = bodyLimit }
        routes.append((method, path, path.split(separator: "/")))
        router.on(RouterPath(path), method: method, use: handler)
    }

    /// The body limit of the route serving `method` and `path`, when it has its own.
    func bodyLimit(of method: HTTPRequest.Method, _ path: String) -> Int? {
        let number = number(of: method, path)
        return number == 0 ? nil : bodyLimits[number - 1]
    }

    /// True when some route matches `path` (`:name` segments match anything), whatever its method.
    func knowsPath(_ path: String) -> Bool {
        let segments = path.split(separator: "/")
        return routes.contains { Self.matches($0.segments, segments) }
    }

    /// 1 + the position of the route serving `method` and `path`; 0 when none does.
    func number(of method: HTTPRequest.Method, _ path: String) -> Int {
        let segments = path.split(separator: "/")
        for (index, route) in routes.enumerated() where route.method == method && Self.matches(route.segments, segments) {
            return index + 1
        }
        return 0
    }

    private static func matches(_ pattern: [Substring], _ segments: [Substring]) -> Bool {
        pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
    }
}
