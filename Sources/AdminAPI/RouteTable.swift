import HTTPTypes
import Hummingbird

/// The routes the API serves, in the order they were registered (the same in every worker process), kept
/// beside the router: to tell a path served under another method from an unknown path (405 `not_allowed`
/// versus 404 `Route not found`), and to number routes for the shared metrics.
final class RouteTable: @unchecked Sendable {
    private(set) var routes: [(method: HTTPRequest.Method, path: String, segments: [Substring])] = []

    /// Registers `handler` on the router and records the route here, from one path string.
    func add(
        _ method: HTTPRequest.Method, _ path: String, on router: Router<AdminContext>,
        use handler: @escaping @Sendable (Request, AdminContext) async throws -> some ResponseGenerator
    ) {
        routes.append((method, path, path.split(separator: "/")))
        router.on(RouterPath(path), method: method, use: handler)
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
