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
    /// The connection, kept for `remoteAddress`: only a login asks for it, so the address is formatted
    /// (`inet_ntop` and a String) on that request only, not on every request.
    private let channel: any Channel

    /// The client's address, for login throttling.
    public var remoteAddress: String { channel.remoteAddress?.ipAddress ?? "unknown" }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Bodies are read by the routes with their own limit (MAX_BODY_SIZE).
    public var maxUploadSize: Int { .max }
}
