import Customers
import HTTPTypes
import Hummingbird
import JSON
import Passwords
import Postgres
import Validation

/// `/admin/customers`: list, retrieve, create, update, delete (Medusa v1, API.md "Customers").
struct CustomerRoutes {
    let customers: CustomerRepository
    let hasher: PasswordHashing
    let maxBodySize: Int

    func register(on routes: inout RouteRegistry) {
        routes.add(.get, "/admin/customers", .signedIn) { request, _ in try await list(request) }
        routes.add(.post, "/admin/customers", .signedIn) { request, _ in try await create(request) }
        routes.add(.get, "/admin/customers/:id", .signedIn) { request, context in
            try await retrieve(request, id: context.parameters.require("id"))
        }
        routes.add(.post, "/admin/customers/:id", .signedIn) { request, context in
            try await update(request, id: context.parameters.require("id"))
        }
        routes.add(.delete, "/admin/customers/:id", .signedIn) { request, context in
            try await delete(request, id: context.parameters.require("id"))
        }
    }

    func list(_ request: Request) async throws -> Response {
        let (query, shape) = try CustomerListParameters.read(QueryItems(request.uri.query))
        return try await Self.listResponse(query, shape: shape, customers: customers)
    }

    /// `{"customers": [...], "count", "offset", "limit", "next_cursor"}` for a list query (also a group's
    /// members); `next_cursor` continues after this page in the same filters and order.
    static func listResponse(_ query: CustomerListQuery, shape: CustomerShape, customers: CustomerRepository) async throws -> Response {
        var page = try await customers.list(query)
        try await CustomerRelations(customers: customers).load(shape.expand, into: &page.customers)
        let nextCursor = page.next.map { ListCursor.encode($0, for: query) }
        return .page(
            "customers", page.customers, count: page.count, offset: query.offset, limit: query.limit,
            nextCursor: .some(nextCursor), bytesPerItem: 512
        ) { CustomerJSON.write($0, shape: shape, into: &$1) }
    }

    func retrieve(_ request: Request, id: String) async throws -> Response {
        let shape = try Self.readShape(request)
        let relations = CustomerRelations(customers: customers)
        // The default relation comes with the customer in one statement; other relations are asked for at
        // the same time, so that the pipeline sends them in one batch.
        var others = shape.expand
        let withAddresses = others.remove(.shipping_addresses) != nil
        var customer: Customer?
        if others.isEmpty {
            customer = try await withAddresses ? customers.findWithShippingAddresses(id: id) : customers.find(id: id)
        } else {
            async let found = withAddresses ? customers.findWithShippingAddresses(id: id) : customers.find(id: id)
            let loaded = try await relations.fetch(others, customerIDs: [id])
            customer = try await found
            if customer != nil { try await relations.apply(loaded, to: &customer!) }
        }
        guard var customer else { throw APIError.customerNotFound(id) }
        if shape.expand.contains(.billing_address) { try await relations.loadBillingAddress(into: &customer) }
        return respond(with: customer, shape: shape)
    }

    func create(_ request: Request) async throws -> Response {
        var request = request
        var body = try BodyReader(bytes: try await request.bodyBytes(limit: maxBodySize), allowed: CustomerDraft.fields)
        let draft = CustomerDraft.read(&body, rules: .create)
        try body.finish()
        guard let draft, let password = draft.password, let firstName = draft.firstName, let lastName = draft.lastName
        else { throw APIError.unknown }  // finish() threw for every draft missing one of them
        let hash = try await hasher.hash(password)
        do {
            let customer = try await customers.create(
                NewCustomer(
                    email: draft.email, firstName: firstName, lastName: lastName, phone: draft.phone,
                    metadata: draft.metadata, passwordHash: hash))
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("customer")
            CustomerJSON.write(customer, shape: CustomerShape(expand: [], fields: nil), into: &writer)
            writer.endObject()
            return .json(writer, status: .created, headers: [.eTag: Self.etag(customer)])
        } catch let error as CustomerError {
            throw APIError(error)
        }
    }

    func update(_ request: Request, id: String) async throws -> Response {
        let shape = try Self.readShape(request)
        let expectedVersion = try Self.expectedVersion(request)
        var request = request
        var body = try BodyReader(
            bytes: try await request.bodyBytes(limit: maxBodySize),
            allowed: ["email", "first_name", "last_name", "password", "phone", "metadata", "groups"])
        var patch = CustomerPatch()
        patch.email = body.email("email", required: false)
        patch.firstName = body.optionalString("first_name")
        patch.lastName = body.optionalString("last_name")
        let password = body.password("password", required: false)
        patch.phone = body.optionalString("phone")
        if let metadata = body.object("metadata") {
            (patch.metadataSet, patch.metadataRemove) = metadata.metadataPatch
        }
        patch.groupIDs = Self.readGroups(&body)
        try body.finish()
        if let password { patch.passwordHash = try await hasher.hash(password) }
        do {
            var customer = try await customers.update(id: id, patch, expectedVersion: expectedVersion)
            try await CustomerRelations(customers: customers).load(shape.expand, into: &customer)
            return respond(with: customer, shape: shape)
        } catch let error as CustomerError {
            throw APIError(error)
        }
    }

    func delete(_ request: Request, id: String) async throws -> Response {
        try Validator.rejectAnyQuery(request)
        guard try await customers.delete(id: id) else { throw APIError.customerNotFound(id) }
        var writer = JSONWriter(capacity: 96)
        writer.beginObject()
        writer.key("id"); writer.string(id)
        writer.key("object"); writer.string("customer")
        writer.key("deleted"); writer.bool(true)
        writer.endObject()
        return .json(writer)
    }

    private func respond(with customer: Customer, shape: CustomerShape) -> Response {
        var writer = JSONWriter(capacity: 1024)
        writer.beginObject()
        writer.key("customer")
        CustomerJSON.write(customer, shape: shape, into: &writer)
        writer.endObject()
        return .json(writer, headers: [.eTag: Self.etag(customer)])
    }

    /// `expand` and `fields` of a single-customer route; its default relation is `shipping_addresses`.
    static func readShape(_ request: Request) throws -> CustomerShape {
        let items = QueryItems(request.uri.query)
        var validator = Validator()
        validator.rejectUnknown(items.items.map(\.key), allowed: ["expand", "fields"])
        let shape = CustomerShape.read(items, defaultExpand: [.shipping_addresses], into: &validator)
        try validator.finish()
        return shape
    }

    /// `groups`: an array of `{"id": ...}`.
    static func readGroups(_ body: inout BodyReader) -> [String]? {
        guard let value = body.object["groups"] else { return nil }
        guard case .array(let elements) = value else {
            body.validator.add("groups must be an array")
            return nil
        }
        return body.ids(in: elements, of: "groups")
    }

    static func etag(_ customer: Customer) -> String { "\"\(customer.version)\"" }

    /// The version named by `If-Match` (`"3"` or `W/"3"`); nil when absent or `*`. Anything else can
    /// never match, so it is a 412.
    static func expectedVersion(_ request: Request) throws -> Int? {
        guard let header = request.headers[.ifMatch], header != "*" else { return nil }
        var tag = Substring(header)
        if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
        guard tag.hasPrefix("\""), tag.hasSuffix("\""), tag.count >= 2, let version = Int(tag.dropFirst().dropLast())
        else { throw APIError.preconditionFailed }
        return version
    }
}

extension Validator {
    /// For routes that take no query parameters.
    static func rejectAnyQuery(_ request: Request) throws {
        var validator = Validator()
        validator.rejectUnknown(QueryItems(request.uri.query).items.map(\.key), allowed: [])
        try validator.finish()
    }
}

extension APIError {
    static func customerNotFound(_ id: String) -> APIError { .notFound("Customer with id: \(id) was not found") }

    init(_ error: CustomerError) {
        switch error {
        case .customerNotFound(let id): self = .customerNotFound(id)
        case .addressNotFound(let id): self = .notFound("Address with id: \(id) was not found")
        case .groupNotFound(let id): self = .notFound("CustomerGroup with id \(id) was not found")
        case .unknownGroup(let id): self = .notFound("Customer_group with customer_group_id \(id) does not exist.")
        case .unknownCustomers(let ids):
            // Medusa writes JSON.stringify(ids.join(", ")): one quoted, escaped string.
            self = .notFound("The following customer ids do not exist: \(JSONWriter.text(of: .string(ids.joined(separator: ", "))))")
        case .duplicateEmail: self = .duplicate("A customer with the given email already has an account. Log in instead")
        case .duplicateGroupName(let name): self = .duplicate("Key (name)=(\(name)) already exists.")  // PostgreSQL's detail, as Medusa sends it
        case .emailChangeNotAllowed: self = .invalidData("Email cannot be changed when the user has registered their account")
        case .versionMismatch: self = .preconditionFailed
        }
    }
}
