import HTTPTypes
import Hummingbird
import JSON

/// An error answered to the client in Medusa's shape: `{"type": ..., "message": ...}` plus `code` where
/// Medusa has one. Everything else thrown by a route becomes a 500 `unknown_error` whose detail goes
/// to the log only.
public struct APIError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let type: String
    public let message: String
    public let code: String?
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, type: String, message: String, code: String? = nil) {
        self.status = status
        self.type = type
        self.message = message
        self.code = code
    }

    public static func invalidData(_ message: String) -> APIError {
        APIError(status: .badRequest, type: "invalid_data", message: message)
    }

    public static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, type: "not_found", message: message)
    }

    public static let routeNotFound = APIError.notFound("Route not found")

    public static let notAllowed = APIError(
        status: .methodNotAllowed, type: "not_allowed", message: "Method not allowed")

    public static let unauthorized = APIError(status: .unauthorized, type: "unauthorized", message: "Unauthorized")

    public static func duplicate(_ message: String) -> APIError {
        APIError(status: .unprocessableContent, type: "duplicate_error", message: message, code: "invalid_request_error")
    }

    public static let preconditionFailed = APIError(
        status: .preconditionFailed, type: "precondition_failed",
        message: "The resource was changed since it was read (stale If-Match)")

    public static func payloadTooLarge(limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, type: "payload_too_large",
            message: "Request body is larger than \(limit) bytes")
    }

    public static func tooManyRequests(retryAfter: Int) -> APIError {
        var error = APIError(
            status: .tooManyRequests, type: "too_many_requests",
            message: "Too many failed login attempts, try again later")
        error.headers[.retryAfter] = String(retryAfter)
        return error
    }

    public static let serviceUnavailable: APIError = {
        var error = APIError(
            status: .serviceUnavailable, type: "service_unavailable",
            message: "The service is temporarily unavailable, try again shortly")
        error.headers[.retryAfter] = "1"
        return error
    }()

    /// Not an answer anyone receives: the status of a request whose client left before it finished (the
    /// code nginx logs for it), for the access log and the metrics.
    public static let clientClosedRequest = APIError(
        status: .init(code: 499, reasonPhrase: "Client Closed Request"), type: "client_closed_request",
        message: "The client closed the connection before the response")

    public static let unknown = APIError(
        status: .internalServerError, type: "unknown_error", message: "An unknown error occurred.",
        code: "unknown_error")

    var body: [UInt8] {
        var writer = JSONWriter(capacity: 128)
        writer.beginObject()
        writer.key("type")
        writer.string(type)
        writer.key("message")
        writer.string(message)
        if let code {
            writer.key("code")
            writer.string(code)
        }
        writer.endObject()
        return writer.bytes
    }

    public var response: Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
