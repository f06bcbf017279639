// handoff-prototypes: one HTTP server process (Hummingbird's HTTP/1 channel and router on one NIO event loop)
// serving GET /admin/customers/:id and GET /health, in one of several designs that differ in the threads a
// point read crosses. `scripts/bench-handoff.sh` runs them side by side under wrk, perf stat and callgrind.
//
//   handoff-prototypes DESIGN PORT DATABASE_URL [connections=2] [body=bytes|strings]
//
//   pool-thread   handlers on Swift's global pool, a dedicated pipeline thread sends and reads (today's product):
//                 loop -> pool -> pipeline thread -> pool -> loop, four crossings
//   loop-thread   handlers on the connection's event loop (task executor preference), the same pipeline thread:
//                 loop -> pipeline thread -> loop, two crossings
//   pool-direct   handlers on the global pool, sent by the handler's own thread, a reader thread per connection
//   loop-direct   handlers on the event loop, sent from the loop itself, read by the reader thread:
//                 loop -> reader -> loop, one crossing on the way out only
import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix

@main
struct HandOffPrototypes {
    /// Synchronous, as the product's entry point is: an async main parks the main thread in libdispatch's
    /// sigsuspend, which valgrind 3.19 (callgrind) cannot run.
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        // Detached: main() is on the main actor, whose thread waits below.
        Task.detached {
            do {
                try await serve()
            } catch {
                FileHandle.standardError.write(Data("handoff-prototypes: \(error)\n".utf8))
                exit(1)
            }
            finished.signal()
        }
        finished.wait()
    }

    static func serve() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 4, let port = Int(arguments[2]) else {
            FileHandle.standardError.write(Data("usage: handoff-prototypes DESIGN PORT DATABASE_URL [connections] [bytes|strings]\n".utf8))
            exit(2)
        }
        let design = arguments[1]
        let url = arguments[3]
        let connections = arguments.count > 4 ? Int(arguments[4]) ?? 2 : 2
        let fromStrings = arguments.count > 5 && arguments[5] == "strings"
        let reads: any PointReads
        switch design {
        case "pool-thread", "loop-thread": reads = try ThreadPipeline(url: url, connections: connections)
        case "pool-direct", "loop-direct": reads = try DirectPipeline(url: url, connections: connections)
        default:
            FileHandle.standardError.write(Data("unknown design \(design)\n".utf8))
            exit(2)
        }
        let onLoop = design.hasPrefix("loop-")

        let router = Router()
        router.get("/health") { _, _ in "OK" }
        router.get("/admin/customers/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            let rows = try await reads.read(id: id)
            guard rows.rowCount == 1 else { throw HTTPError(.notFound) }
            let allocator = ByteBufferAllocator()
            let body = fromStrings ? CustomerBody.fromStrings(rows, allocator: allocator) : CustomerBody.fromBytes(rows, allocator: allocator)
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
        }
        let responder = router.buildResponder()
        let logger = Logger(label: "handoff")
        let channel = HTTP1Channel(responder: { request, writer, channel in
            let context = BasicRequestContext(source: .init(channel: channel, logger: logger))
            let response = try await responder.respond(to: request, context: context)
            try await writer.write(response: response.head, body: response.body)
        })

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executor = EventLoopExecutor(group.next())
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: port) { child in
                channel.setup(channel: child, logger: logger)
            }
        print("handoff-prototypes: \(design), \(connections) connections, body from \(fromStrings ? "strings" : "bytes"), port \(port)")
        await withDiscardingTaskGroup { tasks in
            do {
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        if onLoop {
                            tasks.addTask(executorPreference: executor) { await channel.handle(value: connection, logger: logger) }
                        } else {
                            tasks.addTask { await channel.handle(value: connection, logger: logger) }
                        }
                    }
                }
            } catch {
                logger.error("accept loop ended: \(error)")
            }
        }
    }
}
