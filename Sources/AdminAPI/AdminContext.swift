import Auth
import Hummingbird
import Logging
import NIOCore

/// Per-request state of the admin API.
public struct AdminContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// From the client's `X-Request-Id`, or generated; on every response and log line.
    public var requestID: String = ""
    /// The admin user, once authenticated.
    public var user: AdminUser?
    /// Every route of the router (for `/metrics` and `/debug/routes`), given to each request by
    /// RequestLifecycle, as the list is complete only once the router is.
    var endpoints = Endpoints([])
    /// The client's address, for login throttling.
    public let remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Bodies are read by the routes with their own limit (MAX_BODY_SIZE).
    public var maxUploadSize: Int { .max }
}
