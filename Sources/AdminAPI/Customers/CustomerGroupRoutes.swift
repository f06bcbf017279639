import Customers
import Hummingbird
import JSON
import Postgres
import Validation

/// `/admin/customer-groups` (Medusa v1, API.md "Customer groups").
struct CustomerGroupRoutes {
    /// Names are unique through a btree index, which cannot hold a long one (a 500 before this limit).
    static let maximumNameLength = 255

    let groups: CustomerGroupRepository
    let customers: CustomerRepository
    let maxBodySize: Int

    func register(on router: Router<AdminContext>, table: RouteTable) {
        table.add(.get, "/admin/customer-groups", on: router) { request, _ in try await list(request) }
        table.add(.post, "/admin/customer-groups", on: router) { request, _ in
            try Validator.rejectAnyQuery(request)
            var request = request
            var body = try BodyReader(bytes: try await request.bodyBytes(limit: maxBodySize), allowed: ["name", "metadata"])
            let name = body.requiredString("name", maximumLength: Self.maximumNameLength)
            let metadata = body.object("metadata")
            try body.finish()
            return respond(try await run { try await groups.create(name: name!, metadata: metadata?.jsonText) })
        }
        table.add(.get, "/admin/customer-groups/:id", on: router) { request, context in
            let id = try context.parameters.require("id")
            let expandCustomers = try Self.readExpand(QueryItems(request.uri.query), allowed: ["expand"])
            guard var group = try await groups.find(id: id) else { throw APIError(CustomerError.groupNotFound(id)) }
            if expandCustomers { group.customers = try await groups.customers(of: [id])[id] ?? [] }
            return respond(group)
        }
        table.add(.post, "/admin/customer-groups/:id", on: router) { request, context in
            let id = try context.parameters.require("id")
            try Validator.rejectAnyQuery(request)
            var request = request
            var body = try BodyReader(bytes: try await request.bodyBytes(limit: maxBodySize), allowed: ["name", "metadata"])
            let name: String? = body.has("name") ? body.requiredString("name", maximumLength: Self.maximumNameLength) : nil
            let metadata = body.object("metadata")?.metadataPatch
            try body.finish()
            return respond(
                try await run {
                    try await groups.update(
                        id: id, name: name, metadataSet: metadata?.set, metadataRemove: metadata?.remove ?? [])
                })
        }
        table.add(.delete, "/admin/customer-groups/:id", on: router) { request, context in
            let id = try context.parameters.require("id")
            try Validator.rejectAnyQuery(request)
            guard try await groups.delete(id: id) else { throw APIError(CustomerError.groupNotFound(id)) }
            var writer = JSONWriter(capacity: 96)
            writer.beginObject()
            writer.key("id"); writer.string(id)
            writer.key("object"); writer.string("customer_group")
            writer.key("deleted"); writer.bool(true)
            writer.endObject()
            return Response.json(writer)
        }
        table.add(.get, "/admin/customer-groups/:id/customers", on: router) { request, context in
            let id = try context.parameters.require("id")
            let (query, shape) = try CustomerListParameters.read(QueryItems(request.uri.query), groupID: id)
            guard try await groups.find(id: id) != nil else { throw APIError(CustomerError.groupNotFound(id)) }
            return try await CustomerRoutes.listResponse(query, shape: shape, customers: customers)
        }
        for (method, add) in [(HTTPRequest.Method.post, true), (.delete, false)] {
            table.add(method, "/admin/customer-groups/:id/customers/batch", on: router) { request, context in
                let id = try context.parameters.require("id")
                try Validator.rejectAnyQuery(request)
                var request = request
                var body = try BodyReader(bytes: try await request.bodyBytes(limit: maxBodySize), allowed: ["customer_ids"])
                let ids = Self.readCustomerIDs(&body)
                try body.finish()
                return respond(try await run { try await groups.changeMembers(groupID: id, customerIDs: ids, add: add) })
            }
        }
    }

    func list(_ request: Request) async throws -> Response {
        let items = QueryItems(request.uri.query)
        var validator = Validator()
        validator.rejectUnknown(items.items.map(\.key), allowed: ["q", "limit", "offset", "order", "expand"])
        var query = CustomerGroupListQuery()
        (query.limit, query.offset) = validator.readPage(items)
        if let search = items.value("q"), !search.isEmpty {
            if search.utf8.contains(0) || search.count > CustomerListParameters.maximumSearchLength {
                validator.add("q must be a string of at most \(CustomerListParameters.maximumSearchLength) characters")
            } else {
                query.search = search
            }
        }
        if let (field, descending) = validator.readOrder(items, CustomerGroupOrderField.self) {
            query.orderField = field
            query.descending = descending
        }
        let expandCustomers = Self.expandsCustomers(items, into: &validator)
        try validator.finish()
        var (page, count) = try await groups.list(query)
        if expandCustomers && !page.isEmpty {
            let members = try await groups.customers(of: page.map(\.id))
            for index in page.indices { page[index].customers = members[page[index].id] ?? [] }
        }
        return .page("customer_groups", page, count: count, offset: query.offset, limit: query.limit, bytesPerItem: 256) {
            CustomerJSON.write($0, into: &$1)
        }
    }

    private func respond(_ group: CustomerGroup) -> Response {
        var writer = JSONWriter(capacity: 256)
        writer.beginObject()
        writer.key("customer_group")
        CustomerJSON.write(group, into: &writer)
        writer.endObject()
        return .json(writer)
    }

    static func readExpand(_ items: QueryItems, allowed: Set<String>) throws -> Bool {
        var validator = Validator()
        validator.rejectUnknown(items.items.map(\.key), allowed: allowed)
        let expandCustomers = expandsCustomers(items, into: &validator)
        try validator.finish()
        return expandCustomers
    }

    /// `expand=customers`, the one relation a group has.
    static func expandsCustomers(_ items: QueryItems, into validator: inout Validator) -> Bool {
        guard let expand = items.value("expand") else { return false }
        if expand == "customers" { return true }
        validator.add("expand must be a subset of customers")
        return false
    }

    /// `customer_ids`: a non-empty array of `{"id": ...}`.
    static func readCustomerIDs(_ body: inout BodyReader) -> [String] {
        guard case .array(let elements) = body.object["customer_ids"], !elements.isEmpty else {
            body.validator.add("customer_ids must be a non-empty array")
            return []
        }
        var ids: [String] = []
        for element in elements {
            guard case .object(let item) = element, case .string(let id) = item["id"], item.count == 1, !id.utf8.contains(0)
            else {
                body.validator.add("each value in customer_ids must be an object with a string id")
                return []
            }
            ids.append(id)
        }
        return ids
    }
}
