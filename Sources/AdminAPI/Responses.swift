import HTTPTypes
import Hummingbird

extension Response {
    /// A JSON response from bytes written by `JSONWriter`.
    static func json(_ writer: JSONWriter, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}

extension Request {
    /// The body, at most `limit` bytes (413 beyond).
    mutating func bodyBytes(limit: Int) async throws -> [UInt8] {
        let buffer = try await collectBody(upTo: limit)
        return Array(buffer.readableBytesView)
    }
}
