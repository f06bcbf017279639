import Customers
import Hummingbird
import JSON
import Postgres
import Validation

/// `/admin/customers/:id/addresses` (API.md "Addresses", as Medusa v2).
struct AddressRoutes {
    let addresses: AddressRepository
    let maxBodySize: Int

    static let textFields = [
        "company", "first_name", "last_name", "address_1", "address_2", "city", "country_code", "province",
        "postal_code", "phone",
    ]

    func register(on routes: inout RouteRegistry) {
        routes.add(.get, "/admin/customers/:id/addresses", .signedIn) { request, context in
            let customerID = try context.parameters.require("id")
            let items = QueryItems(request.uri.query)
            var validator = Validator()
            validator.rejectUnknown(items.items.map(\.key), allowed: ["limit", "offset"])
            let (limit, offset) = validator.readPage(items)
            try validator.finish()
            let (page, count) = try await run { try await addresses.list(customerID: customerID, limit: limit, offset: offset) }
            return Response.page("addresses", page, count: count, offset: offset, limit: limit, bytesPerItem: 512) {
                CustomerJSON.write($0, into: &$1)
            }
        }
        routes.add(.post, "/admin/customers/:id/addresses", .signedIn) { request, context in
            let customerID = try context.parameters.require("id")
            try Validator.rejectAnyQuery(request)
            let (fields, isDefaultBilling) = try await readBody(request, creating: true)
            let address = try await run {
                try await addresses.create(customerID: customerID, fields, isDefaultBilling: isDefaultBilling)
            }
            return respond(address)
        }
        routes.add(.post, "/admin/customers/:id/addresses/:address_id", .signedIn) { request, context in
            let customerID = try context.parameters.require("id")
            let addressID = try context.parameters.require("address_id")
            try Validator.rejectAnyQuery(request)
            let (fields, isDefaultBilling) = try await readBody(request, creating: false)
            let address = try await run {
                try await addresses.update(
                    customerID: customerID, addressID: addressID, fields, isDefaultBilling: isDefaultBilling)
            }
            return respond(address)
        }
        routes.add(.delete, "/admin/customers/:id/addresses/:address_id", .signedIn) { request, context in
            let customerID = try context.parameters.require("id")
            let addressID = try context.parameters.require("address_id")
            try Validator.rejectAnyQuery(request)
            try await run { try await addresses.delete(customerID: customerID, addressID: addressID) }
            var writer = JSONWriter(capacity: 96)
            writer.beginObject()
            writer.key("id"); writer.string(addressID)
            writer.key("object"); writer.string("customer_address")
            writer.key("deleted"); writer.bool(true)
            writer.endObject()
            return Response.json(writer)
        }
    }

    private func respond(_ address: Address) -> Response {
        var writer = JSONWriter(capacity: 512)
        writer.beginObject()
        writer.key("address")
        CustomerJSON.write(address, into: &writer)
        writer.endObject()
        return .json(writer)
    }

    /// The address fields in the documented order; `address_1` and `country_code` are required on create.
    private func readBody(_ request: Request, creating: Bool) async throws -> (AddressFields, Bool) {
        var request = request
        var body = try BodyReader(
            bytes: try await request.bodyBytes(limit: maxBodySize),
            allowed: Self.textFields + ["metadata", "is_default_billing"])
        var fields = AddressFields()
        var values: [String: String??] = [:]
        for name in Self.textFields {
            if creating && (name == "address_1" || name == "country_code") {
                values[name] = body.requiredString(name).map { .some($0) }
            } else {
                values[name] = body.optionalString(name)
            }
        }
        if case .some(.some(.some(let code))) = values["country_code"] {
            if code.count == 2, code.allSatisfy({ $0.isASCII && $0.isLetter }) {
                values["country_code"] = .some(code.lowercased())
            } else {
                body.validator.add("country_code must be a two-letter ISO 3166-1 code")
            }
        }
        if let metadata = body.object("metadata") {
            (fields.metadataSet, fields.metadataRemove) = creating ? (metadata.jsonText, []) : metadata.metadataPatch
        }
        var isDefaultBilling = false
        switch body.object["is_default_billing"] {
        case nil, .null: break
        case .bool(let flag): isDefaultBilling = flag
        default: body.validator.add("is_default_billing must be a boolean value")
        }
        try body.finish()
        fields.company = values["company"] ?? nil
        fields.firstName = values["first_name"] ?? nil
        fields.lastName = values["last_name"] ?? nil
        fields.address1 = values["address_1"] ?? nil
        fields.address2 = values["address_2"] ?? nil
        fields.city = values["city"] ?? nil
        fields.countryCode = values["country_code"] ?? nil
        fields.province = values["province"] ?? nil
        fields.postalCode = values["postal_code"] ?? nil
        fields.phone = values["phone"] ?? nil
        return (fields, isDefaultBilling)
    }
}

/// Runs a repository call, turning the domain's refusals into API errors.
func run<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as CustomerError {
        throw APIError(error)
    }
}
