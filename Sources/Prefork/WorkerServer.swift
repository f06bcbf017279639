import Dispatch
import Glibc
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTPTypes
import NIOPosix
import Synchronization

/// HTTP settings of a worker.
public struct HTTPSettings: Sendable {
    /// A request head larger than this is answered 431.
    public var maxHeadBytes = 32 * 1024
    /// Seconds a connection may sit without a request (keep-alive idle, or a client that never finishes
    /// its request head, such as slowloris) before it is closed; also the most a request's body may take
    /// to arrive, however slowly it trickles in.
    public var idleTimeout = 30

    public init() {}
}

/// Runs the HTTP side of one worker process on the listening socket inherited from the master: its own
/// event loops (created here, after fork), Hummingbird's HTTP/1.1 channel with the given responder, a
/// heartbeat for the master's watchdog, and the worker's signals: TERM drains (stop accepting, finish
/// in-flight requests up to the graceful timeout, exit 0); INT and QUIT exit at once.
public final class WorkerServer: Sendable {
    public typealias Responder = HTTPChannelHandler.Responder

    private let context: WorkerContext
    private let settings: HTTPSettings
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)

    public init(context: WorkerContext, settings: HTTPSettings, logger: Logger) {
        self.context = context
        self.settings = settings
        self.logger = logger
    }

    /// Blocks the calling (only) thread until the server stopped; returns the process's exit status.
    /// `makeResponder` runs once, after the event loops exist; `onStop` runs after the last connection closed.
    public func run(
        makeResponder: @escaping @Sendable (any EventLoopGroup) async throws -> Responder,
        onStop: @escaping @Sendable () async -> Void
    ) -> Int32 {
        let status = Mutex<Int32>(0)
        let finished = DispatchSemaphore(value: 0)
        Task {
            let result = await serve(makeResponder: makeResponder)
            await onStop()
            status.withLock { $0 = result }
            finished.signal()
        }
        finished.wait()
        return status.withLock { $0 }
    }

    private func serve(makeResponder: @Sendable (any EventLoopGroup) async throws -> Responder) async -> Int32 {
        // One event loop: more cores mean more worker processes, not more threads.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let requestExecutor = EventLoopExecutor(group.next())
        let logger = self.logger
        let responder: Responder
        do {
            responder = try await makeResponder(group)
        } catch {
            logger.critical("worker could not start: \(error)")
            return 1
        }
        let scoreboard = context.scoreboard
        let maxRequests = UInt64(context.maxRequests)
        let counted: Responder = { [self] request, writer, channel in
            try await responder(request, writer, channel)
            // Recycling (MAX_REQUESTS): after enough requests this worker drains and the master replaces it.
            if scoreboard.countRequest() == maxRequests { requestStop(reason: "served \(maxRequests) requests") }
        }
        let bodyTimeout = TimeAmount.seconds(Int64(settings.idleTimeout))
        let channel = HTTP1Channel(
            responder: counted,
            configuration: .init(
                additionalChannelHandlers: [
                    HeadTooLargeHandler(), FirstRequestGraceHandler(),
                    BodyDeadlineHandler(timeout: bodyTimeout),
                ],
                idleTimeout: .seconds(Int64(settings.idleTimeout)),
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: settings.maxHeadBytes, maxHeaderListSize: settings.maxHeadBytes,
                    maxHeaderFieldCount: 1000)))
        let quiescing = ServerQuiescingHelper(group: group)
        let server: NIOAsyncChannel<AcceptedConnection, Never>
        do {
            // The socket was made by the master in blocking mode; NIO needs it non-blocking.
            _ = fcntl(context.listeningSocket, F_SETFL, fcntl(context.listeningSocket, F_GETFL) | O_NONBLOCK)
            server = try await ServerBootstrap(group: group)
                .serverChannelInitializer { serverChannel in
                    serverChannel.eventLoop.makeCompletedFuture {
                        try serverChannel.pipeline.syncOperations.addHandler(
                            quiescing.makeServerChannelHandler(channel: serverChannel))
                    }
                }
                .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
                .bind(context.listeningSocket) { child in
                    // First in the pipeline, so it sees the raw end of the stream before anything else.
                    child.eventLoop.makeCompletedFuture { () -> EventLoopFuture<Void> in
                        let watch = ClientDepartureHandler(departed: child.eventLoop.makePromise())
                        try child.pipeline.syncOperations.addHandler(watch)
                        return watch.departed.futureResult
                    }.flatMap { departed in
                        channel.setup(channel: child, logger: logger).map {
                            AcceptedConnection(http: $0, clientDeparted: departed)
                        }
                    }
                }
        } catch {
            logger.critical("worker could not adopt the listening socket: \(error)")
            return 1
        }

        // The heartbeat runs on the event loop itself: if the loop hangs, the master notices.
        let heartbeat = group.next().scheduleRepeatedTask(initialDelay: .zero, delay: .seconds(1)) { _ in
            scoreboard.beat()
        }
        let signals = installSignalHandlers()
        let drained = group.next().makePromise(of: Void.self)
        let gracefulTimeout = context.gracefulTimeout
        let masterPID = context.masterPID
        // Stop requests (a signal, recycling, a dead master) are noticed here, off the signal handler.
        let watcher = Task.detached { [self] in
            while !stopRequested.load(ordering: .acquiring) {
                try? await Task.sleep(for: .milliseconds(100))
                if getppid() != masterPID { requestStop(reason: "the master is gone") }
            }
            // Stop accepting first, and give connections accepted a moment ago time to reach the accept
            // loop: closing the server channel while a child is still being set up drops that child
            // (its client sees a reset, and a debug build traps).
            try? await server.channel.setOption(ChannelOptions.autoRead, value: false).get()
            try? await Task.sleep(for: .milliseconds(50))
            quiescing.initiateShutdown(promise: drained)
            // The master forks this slot's replacement only now (a rolling restart), so that two processes
            // never accept on one socket.
            try? await server.channel.closeFuture.get()
            scoreboard.markListenerClosed()
            // In-flight requests get the graceful timeout, then the worker exits regardless.
            // Cancelled once the last connection closed: then the normal exit path runs.
            do { try await Task.sleep(for: .seconds(gracefulTimeout)) } catch { return }
            logger.warning("requests still running after the graceful timeout; exiting")
            exit(0)
        }
        scoreboard.markReady()
        logger.debug("worker serving")

        await withDiscardingTaskGroup { tasks in
            do {
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        // On the connection's own loop (there is one), not Swift's global pool: see
                        // EventLoopExecutor.
                        tasks.addTask(executorPreference: requestExecutor) {
                            await Self.serve(connection, on: channel, logger: logger)
                        }
                    }
                }
            } catch {
                logger.error("accept loop ended: \(error)")
            }
        }
        // Every connection has closed (the task group waited for them). The event loops are not shut
        // down: the process exits now, and a shutdown would only race the last channel callbacks.
        try? await drained.futureResult.get()
        watcher.cancel()
        heartbeat.cancel()
        withExtendedLifetime(signals) {}
        return 0
    }

    /// Runs a connection's requests, and cancels the task running them when the client leaves (its input
    /// closed, or the connection reset): the request in flight stops, and with it its database statement,
    /// instead of working for nobody until the statement timeout. Hummingbird's channel alone does not do
    /// this: its responder runs to the end whatever the client does.
    static func serve(_ connection: AcceptedConnection, on channel: HTTP1Channel, logger: Logger) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await channel.handle(value: connection.http, logger: logger) }
            // Completes when the client leaves, or at the latest when the connection closes.
            group.addTask { try? await connection.clientDeparted.get() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Asks the server to drain and stop; safe from any thread.
    public func requestStop(reason: String) {
        if !stopRequested.exchange(true, ordering: .acquiringAndReleasing) {
            logger.info("worker stopping: \(reason)")
        }
    }

    private func installSignalHandlers() -> [any DispatchSourceSignal] {
        var sources: [any DispatchSourceSignal] = []
        let queue = DispatchQueue(label: "worker-signals")
        for signalNumber in [SIGTERM, SIGINT, SIGQUIT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [self] in
                if signalNumber == SIGTERM {
                    requestStop(reason: "TERM")
                } else {
                    // Fast stop: in-flight requests are cut.
                    exit(0)
                }
            }
            source.resume()
            sources.append(source)
        }
        return sources
    }
}

/// Answers a request head over the size limit with 431 and closes the connection (the HTTP decoder alone
/// would make it a 400).
final class HeadTooLargeHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            context.fireErrorCaught(error)
            return
        }
        let head = HTTPResponse(
            status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"),
            headerFields: [.connection: "close", .contentLength: "0"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.close(promise: nil)
    }
}

/// When the worker drains, a connection that was accepted but has not sent its request yet would be
/// closed at once (it looks idle) and its client would see a reset. This handler holds the drain notice
/// back from such a connection until its first request head arrives (which is then answered, with
/// `Connection: close`) or a short grace period passes.
final class FirstRequestGraceHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private var sawRequest = false
    private var heldQuiesce = false
    private let grace: TimeAmount

    init(grace: TimeAmount = .seconds(2)) { self.grace = grace }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let isHead: Bool
        if case .head = unwrapInboundIn(data) { isHead = true } else { isHead = false }
        context.fireChannelRead(data)
        if isHead {
            sawRequest = true
            releaseQuiesce(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, !sawRequest else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        heldQuiesce = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: grace) {
            let (handler, context) = loopBound.value
            handler.releaseQuiesce(context: context)
        }
    }

    private func releaseQuiesce(context: ChannelHandlerContext) {
        guard heldQuiesce else { return }
        heldQuiesce = false
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}

/// Closes a connection whose request body has not fully arrived `timeout` after its head. The idle timeout
/// cannot: every body part counts as activity, so a client trickling one byte a second (slow POST,
/// R.U.D.Y.) would hold the connection, and the request's task, forever.
///
/// The timer is armed only when a read ends with a request still unfinished: most requests (every GET)
/// arrive whole in one read, and a timer scheduled and cancelled for each of them was an allocation and two
/// trips through the loop's timer heap per request.
final class BodyDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    /// When the head of the request whose end has not arrived yet came in.
    private var unfinishedSince: NIODeadline?
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            disarm()
            unfinishedSince = .now()
        case .end:
            disarm()
            unfinishedSince = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let unfinishedSince, deadline == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(deadline: unfinishedSince + timeout) {
                loopBound.value.close(promise: nil)
            }
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}
