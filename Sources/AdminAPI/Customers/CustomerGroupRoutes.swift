import Customers
import Hummingbird
import JSON
import Postgres
import Validation

/// `/admin/customer-groups`, as Medusa v1.20 answers them (API.md "Customer groups"): its parameters, its
/// messages, its idempotent delete and batch remove.
struct CustomerGroupRoutes {
    /// Names are unique through a btree index, which cannot hold a long one (a 500 before this limit).
    static let maximumNameLength = 255

    let groups: CustomerGroupRepository
    let customers: CustomerRepository
    let maxBodySize: Int

    func register(on routes: inout RouteRegistry) {
        routes.add(.get, "/admin/customer-groups", .signedIn) { request, _ in try await list(request) }
        routes.add(.post, "/admin/customer-groups", .signedIn) { request, _ in
            try Validator.rejectAnyQuery(request)
            var request = request
            var body = try BodyReader(bytes: try await request.bodyBytes(limit: maxBodySize), allowed: ["name", "metadata"])
            let name = body.requiredString("name", maximumLength: Self.maximumNameLength)
            let metadata = body.object("metadata")
            try body.finish()
            return respond(try await run { try await groups.create(name: name!, metadata: metadata?.jsonText) }, shape: .init())
        }
        routes.add(.get, "/admin/customer-groups/:id", .signedIn) { request, context in
            let id = try context.parameters.require("id")
            let shape = try CustomerGroupShape.read(request)
            guard let group = try await groups.find(id: id) else { throw APIError(CustomerError.groupNotFound(id)) }
            return try await respondExpanding(group, shape: shape)
        }
        routes.add(.post, "/admin/customer-groups/:id", .signedIn) { request, context in
            let id = try context.parameters.require("id")
            let shape = try CustomerGroupShape.read(request)
            var request = request
            var body = try BodyReader(bytes: try await request.bodyBytes(limit: maxBodySize), allowed: ["name", "metadata"])
            let name: String? = body.has("name") ? body.requiredString("name", maximumLength: Self.maximumNameLength) : nil
            // API.md: a key set to null is removed, as is one set to "" (Medusa's setMetadata).
            let metadata = body.object("metadata")?.metadataPatch(removingNulls: true)
            try body.finish()
            let group = try await run {
                try await groups.update(id: id, name: name, metadataSet: metadata?.set, metadataRemove: metadata?.remove ?? [])
            }
            return try await respondExpanding(group, shape: shape)
        }
        routes.add(.delete, "/admin/customer-groups/:id", .signedIn) { request, context in
            let id = try context.parameters.require("id")
            try Validator.rejectAnyQuery(request)
            // Idempotent, as Medusa's: a group that does not exist (any more) is deleted all the same.
            try await groups.delete(id: id)
            var writer = JSONWriter(capacity: 96)
            writer.beginObject()
            writer.key("id"); writer.string(id)
            writer.key("object"); writer.string("customer_group")
            writer.key("deleted"); writer.bool(true)
            writer.endObject()
            return Response.json(writer)
        }
        routes.add(.get, "/admin/customer-groups/:id/customers", .signedIn) { request, context in
            let id = try context.parameters.require("id")
            // An unknown group has no members: an empty page, as in Medusa (which filters customers by it). The
            // group is part of the query a cursor is checked against.
            let (query, shape) = try CustomerListParameters.read(QueryItems(request.uri.query), groupID: id)
            return try await CustomerRoutes.listResponse(query, shape: shape, customers: customers)
        }
        for (method, add) in [(HTTPRequest.Method.post, true), (.delete, false)] {
            routes.add(method, "/admin/customer-groups/:id/customers/batch", .signedIn) { request, context in
                let id = try context.parameters.require("id")
                try Validator.rejectAnyQuery(request)
                var request = request
                var body = try BodyReader(bytes: try await request.bodyBytes(limit: maxBodySize), allowed: ["customer_ids"])
                let ids = Self.readCustomerIDs(&body)
                try body.finish()
                let group = try await run {
                    add
                        ? try await groups.addMembers(groupID: id, customerIDs: ids)
                        : try await groups.removeMembers(groupID: id, customerIDs: ids)
                }
                return respond(group, shape: .init())
            }
        }
    }

    func list(_ request: Request) async throws -> Response {
        let (query, shape) = try CustomerGroupListParameters.read(QueryItems(request.uri.query))
        var (page, count) = try await groups.list(query)
        if shape.expandCustomers && !page.isEmpty {
            let members = try await groups.customers(of: page.map(\.id))
            for index in page.indices { page[index].customers = members[page[index].id] ?? [] }
        }
        return .page("customer_groups", page, count: count, offset: query.offset, limit: query.limit, bytesPerItem: 256) {
            CustomerJSON.write($0, fields: shape.fields, into: &$1)
        }
    }

    /// `{"customer_group": …}`, with its customers when the shape expands them.
    private func respondExpanding(_ group: CustomerGroup, shape: CustomerGroupShape) async throws -> Response {
        var group = group
        if shape.expandCustomers { group.customers = try await groups.customers(of: [group.id])[group.id] ?? [] }
        return respond(group, shape: shape)
    }

    private func respond(_ group: CustomerGroup, shape: CustomerGroupShape) -> Response {
        var writer = JSONWriter(capacity: 256)
        writer.beginObject()
        writer.key("customer_group")
        CustomerJSON.write(group, fields: shape.fields, into: &writer)
        writer.endObject()
        return .json(writer)
    }

    /// `customer_ids`: a non-empty array of `{"id": …}` (Medusa's messages for its elements).
    static func readCustomerIDs(_ body: inout BodyReader) -> [String] {
        guard case .array(let elements) = body.object["customer_ids"], !elements.isEmpty else {
            body.validator.add("customer_ids must be a non-empty array")
            return []
        }
        return body.ids(in: elements, of: "customer_ids") ?? []
    }
}
