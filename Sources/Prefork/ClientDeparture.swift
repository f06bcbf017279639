import HummingbirdCore
import NIOCore

/// An accepted connection: Hummingbird's HTTP/1 channel, and the sign that its client has left.
struct AcceptedConnection: Sendable {
    let http: HTTP1Channel.Value
    let clientDeparted: EventLoopFuture<Void>
}

/// Completes `departed` when the client is gone: it closed its side (a FIN: HTTP/1.1 clients send nothing
/// after their request, so a closed input means nobody waits for the answer, as Go's server also assumes)
/// or the connection ended (a reset, an error, or our own close). Passes everything on untouched.
final class ClientDepartureHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    let departed: EventLoopPromise<Void>
    private var isDeparted = false

    init(departed: EventLoopPromise<Void>) { self.departed = departed }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { depart() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        depart()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        depart()
    }

    private func depart() {
        guard !isDeparted else { return }
        isDeparted = true
        departed.succeed(())
    }
}
