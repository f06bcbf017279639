import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Postgres
import Synchronization
import Validation

/// Wraps every request, around the router (it runs before the route is matched and after it answered): gives
/// the request its id, adds the headers every response carries, counts it in the metrics under the endpoint
/// the router matched, and writes one access-log line.
struct RequestLifecycle: Sendable {
    let logger: Logger
    let endpoints: Endpoints
    let date: HTTPDate
    let metrics: HTTPMetrics
    let database: Database

    func respond(
        to request: Request, context: AdminContext, next: some HTTPResponder<AdminContext>
    ) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        var context = context
        context.requestID = Self.requestID(from: request.headers[.xRequestID])
        context.endpoints = endpoints
        var response: Response
        do {
            response = try await next.respond(to: request, context: context)
        } catch {
            // APIErrorMiddleware answers every error a route throws; this is the router's own failure.
            logger.error("unhandled error: \(String(reflecting: error))", metadata: ["request_id": "\(context.requestID)"])
            response = APIError.unknown.response
        }
        // Appended, not set: no route sets these four, and setting searches the fields and checks the value
        // again for every response; the constant ones are checked once, here.
        response.headers.append(HTTPField(name: .xRequestID, value: context.requestID))
        response.headers.append(date.field)
        response.headers.append(Self.server)
        response.headers.append(Self.noSniff)
        // Only what a route marks cacheable (the admin page and its assets) may be kept by a cache: every
        // answer of the API, an error included, is about data that changes.
        if response.headers[.cacheControl] == nil {
            response.headers.append(Self.noStore)
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
        metrics.record(
            route: endpoints.number(of: request.method, endpointPath: context.endpointPath),
            status: response.status.code, seconds: elapsed / 1000, pool: database.poolStatistics)
        // Once per request: its strings are made once each, without interpolation.
        if logger.logLevel <= .info {
            let method = request.method.rawValue
            let path = request.uri.path
            let status = String(response.status.code)
            var message = method
            message += " "
            message += path
            message += " "
            message += status
            logger.info(
                Logger.Message(stringLiteral: message),
                metadata: [
                    "method": .string(method), "path": .string(path), "status": .string(status),
                    "duration_ms": .string(((elapsed * 100).rounded() / 100).description),
                    "request_id": .string(context.requestID),
                ])
        }
        return response
    }

    static let server = HTTPField(name: .server, value: "Clientele")
    static let noSniff = HTTPField(name: .xContentTypeOptions, value: "nosniff")
    static let noStore = HTTPField(name: .cacheControl, value: "no-store")

    /// A client's id is kept when it is short printable ASCII; otherwise a new one is made: random bits
    /// drawn once per process and a counter, unique across processes and restarts, without a UUID per request.
    static func requestID(from header: String?) -> String {
        if let header, !header.isEmpty, header.utf8.count <= 128,
            header.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            return header
        }
        return RequestIDs.next()
    }
}

/// The first middleware of every route (and of the router's 404): turns every error into the API's error
/// shape, never leaking detail: a 500's cause goes to the log with the request id.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = AdminContext
    let logger: Logger
    let maxBodySize: Int

    func handle(
        _ request: Request, context: AdminContext, next: (Request, AdminContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as InvalidInput {
            return APIError.invalidData(error.message).response
        } catch let error as PostgresError where error.isUnavailable {
            logger.warning(
                "database unavailable: \(error)", metadata: ["request_id": "\(context.requestID)"])
            return APIError.serviceUnavailable.response
        } catch let error as PostgresError where error.isInvalidInput {
            // Validation let through a value PostgreSQL refuses (a number beyond numeric's range in metadata,
            // a value too large for an index): the client's mistake, so a 400 that says what PostgreSQL said.
            return APIError.invalidData("Invalid value: \(error.message)").response
        } catch let error as HTTPError {
            return map(error).response
        } catch is CancellationError {
            // The request's task was cancelled because its client left (WorkerServer), which also cancelled
            // its database statement: nobody reads this answer; the access log says 499, as nginx's does.
            return APIError.clientClosedRequest.response
        } catch {
            logger.error("unhandled error: \(String(reflecting: error))", metadata: ["request_id": "\(context.requestID)"])
            // A database error's detail holds row values (an email in a unique violation): debug lines only.
            if let detail = (error as? PostgresError)?.detail {
                logger.debug("unhandled error detail", metadata: ["request_id": "\(context.requestID)", "detail": "\(detail)"])
            }
            return APIError.unknown.response
        }
    }

    private func map(_ error: HTTPError) -> APIError {
        switch error.status {
        case .notFound:
            // Only the router throws this: no route matches the path (a known path under another method
            // has its 405 route, RouteRegistry.addNotAllowedAnswers).
            return .routeNotFound
        case .methodNotAllowed:
            return .notAllowed
        case .contentTooLarge:
            return .payloadTooLarge(limit: maxBodySize)
        case .badRequest:
            return .invalidData(error.body ?? "Bad request")
        default:
            if error.status.code < 500 {
                return APIError(status: error.status, type: "invalid_data", message: error.body ?? error.status.reasonPhrase)
            }
            logger.error("HTTP error \(error.status.code): \(error.body ?? "")")
            return .unknown
        }
    }
}

/// `<16 hex digits of this process>-<counter>`.
enum RequestIDs {
    private static let prefix = String(UInt64.random(in: .min ... .max), radix: 16)
    private static let counter = Atomic<UInt64>(0)

    static func next() -> String {
        let value = counter.add(1, ordering: .relaxed).newValue
        return prefix + "-" + String(value, radix: 16)
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-Id")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
}
