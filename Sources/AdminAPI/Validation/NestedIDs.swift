import JSON
import Validation

extension BodyReader {
    /// The ids of an array of `{"id": …}` objects (a customer update's `groups`, a batch's `customer_ids`),
    /// checked as Medusa's class-validator checks its nested `{id: string}` class, with its messages: an
    /// element that is not an object is `nested property <key> must be either object or array`, another key
    /// in one is `property <name> should not exist`, and an id that is not a string is `id must be a string`.
    /// Each message is given once however many elements earn it. Nil when any element is wrong.
    mutating func ids(in elements: [JSONValue], of key: String) -> [String]? {
        var ids: [String] = []
        var messages: [String] = []
        func report(_ message: String) {
            if !messages.contains(message) { messages.append(message) }
        }
        for element in elements {
            guard case .object(let item) = element else {
                report("nested property \(key) must be either object or array")
                continue
            }
            for name in item.keys where name != "id" { report("property \(name) should not exist") }
            guard case .string(let id) = item["id"] else {
                report("id must be a string")
                continue
            }
            // PostgreSQL's text cannot hold NUL.
            guard !id.utf8.contains(0) else {
                report("id must not contain NUL characters")
                continue
            }
            ids.append(id)
        }
        for message in messages { validator.add(message) }
        return messages.isEmpty ? ids : nil
    }
}
