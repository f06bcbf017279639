import HTTPTypes
import Hummingbird
import JSON
import NIOCore

extension Response {
    /// A JSON response from bytes written by `JSONWriter`.
    static func json(_ writer: JSONWriter, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// `{"<key>": [...], "count", "offset", "limit"}`, the envelope of every paginated list. Lists with
    /// cursor pages add `"next_cursor"`: pass `.some(nil)` for `null` (no further page).
    static func page<Item>(
        _ key: StaticString, _ items: [Item], count: Int, offset: Int, limit: Int, nextCursor: String?? = nil,
        bytesPerItem: Int, write: (Item, inout JSONWriter) -> Void
    ) -> Response {
        var writer = JSONWriter(capacity: bytesPerItem * max(1, items.count))
        writer.beginObject()
        writer.key(key)
        writer.beginArray()
        for item in items { write(item, &writer) }
        writer.endArray()
        writer.key("count"); writer.int(count)
        writer.key("offset"); writer.int(offset)
        writer.key("limit"); writer.int(limit)
        if let nextCursor {
            writer.key("next_cursor"); writer.string(nextCursor)
        }
        writer.endObject()
        return .json(writer)
    }
}

extension Request {
    /// The body, at most `limit` bytes (413 beyond). A declared Content-Length over the limit is refused
    /// before this; a chunked body is only found too large while it is read.
    mutating func bodyBytes(limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(limit: limit)
        }
    }
}
