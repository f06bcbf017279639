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
    /// The client's address, for login throttling.
    public let remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Bodies are read by the routes with their own limit (MAX_BODY_SIZE).
    public var maxUploadSize: Int { .max }
}
