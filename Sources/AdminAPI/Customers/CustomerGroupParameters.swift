import Customers
import Hummingbird
import Postgres
import Validation

/// A group's own fields, in the order responses write them (`fields=`).
enum CustomerGroupField: String, CaseIterable {
    case id, name, metadata, created_at, updated_at, deleted_at
}

/// `expand` and `fields` of the routes that answer groups.
struct CustomerGroupShape {
    var expandCustomers = false
    /// nil: every field.
    var fields: Set<CustomerGroupField>?

    /// Reads `expand` (`customers`, the one relation a group has; empty is none) and `fields` (`id` always
    /// included); adds messages for values outside the allowlists.
    static func read(_ items: QueryItems, into validator: inout Validator) -> CustomerGroupShape {
        var shape = CustomerGroupShape()
        if let expand = items.value("expand") {
            let names = expand.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
            if names.allSatisfy({ $0 == "customers" }) {
                shape.expandCustomers = !names.isEmpty
            } else {
                validator.add("expand must be a subset of customers")
            }
        }
        shape.fields = validator.readSubset("fields", items, of: CustomerGroupField.self, always: [.id])
        return shape
    }

    /// The shape of a route that takes only `expand` and `fields` (retrieve, update).
    static func read(_ request: Request) throws -> CustomerGroupShape {
        let items = QueryItems(request.uri.query)
        var validator = Validator()
        validator.rejectUnknown(items.items.map(\.key), allowed: ["expand", "fields"])
        let shape = read(items, into: &validator)
        try validator.finish()
        return shape
    }
}

/// Reads the query of GET /admin/customer-groups: Medusa v1.20's `AdminGetCustomerGroupsParams`
/// (API.md "Customer groups").
enum CustomerGroupListParameters {
    static func read(_ items: QueryItems) throws -> (query: CustomerGroupListQuery, shape: CustomerGroupShape) {
        var validator = Validator()
        var query = CustomerGroupListQuery()
        let single: Set<String> = ["q", "limit", "offset", "order", "expand", "fields", "discount_condition_id"]
        let operators = Set(
            StringComparison.allCases.map { "id[\($0.rawValue)]" }
                + ["created_at", "updated_at"].flatMap { field in TimeBound.Comparison.allCases.map { "\(field)[\($0.rawValue)]" } })
        for (key, value) in items.items {
            if !(single.contains(key) || operators.contains(key) || isList(key, "id") || isList(key, "name")) {
                validator.add("property \(key) should not exist")
            } else if value.utf8.contains(0) {
                validator.add("\(key) must not contain NUL characters")
            }
        }
        (query.limit, query.offset) = validator.readPage(items, defaultLimit: 10)
        if let (field, descending) = validator.readOrder(items, CustomerGroupOrderField.self) {
            query.orderField = field
            query.descending = descending
        }
        if let search = items.value("q"), !search.isEmpty {
            if search.count > CustomerListParameters.maximumSearchLength {
                validator.add("q must be shorter than or equal to \(CustomerListParameters.maximumSearchLength) characters")
            } else {
                query.search = search
            }
        }
        let ids = items.items.filter { isList($0.key, "id") }.map(\.value)
        if !ids.isEmpty { query.ids = ids }
        query.idComparisons = StringComparison.allCases.compactMap { comparison in
            items.value("id[\(comparison.rawValue)]").map { (comparison, $0) }
        }
        let names = items.items.filter { isList($0.key, "name") }.map(\.value)
        if !names.isEmpty { query.names = names }
        query.createdAt = validator.readTimeBounds("created_at", items)
        query.updatedAt = validator.readTimeBounds("updated_at", items)
        // Accepted because Medusa's clients send it; Clientele has no discounts, so no group matches.
        query.matchesNothing = items.value("discount_condition_id") != nil
        let shape = CustomerGroupShape.read(items, into: &validator)
        try validator.finish()
        return (query, shape)
    }

    /// `name`, `name[]` or `name[0]`, `name[1]`, …: the ways a list reaches a query string (repeated, as curl
    /// users write it, or as the `qs` encoder of Medusa's JS client does).
    static func isList(_ key: String, _ name: String) -> Bool {
        guard key.hasPrefix(name) else { return false }
        let rest = key.dropFirst(name.count)
        if rest.isEmpty || rest == "[]" { return true }
        guard rest.hasPrefix("["), rest.hasSuffix("]") else { return false }
        let index = rest.dropFirst().dropLast()
        return !index.isEmpty && index.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
