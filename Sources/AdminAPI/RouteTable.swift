import HTTPTypes

/// The routes the API serves, kept beside the router so that a path served under another method is told
/// apart from an unknown path (405 `not_allowed` versus 404 `Route not found`).
final class RouteTable: @unchecked Sendable {
    private(set) var routes: [(method: HTTPRequest.Method, segments: [Substring])] = []

    func record(_ method: HTTPRequest.Method, _ path: String) {
        routes.append((method, path.split(separator: "/")))
    }

    /// True when some route matches `path` (`:name` segments match anything).
    func knowsPath(_ path: String) -> Bool {
        let segments = path.split(separator: "/")
        return routes.contains { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }
    }
}
