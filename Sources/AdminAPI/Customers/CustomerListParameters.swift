import Customers
import Postgres
import Validation

/// Relations a customer response can include.
enum CustomerRelation: String, CaseIterable {
    case billing_address, shipping_addresses, groups
}

/// The customer's own fields, in the order responses write them.
enum CustomerField: String, CaseIterable {
    case id, email, first_name, last_name, billing_address_id, phone, has_account, metadata, created_at,
        updated_at, deleted_at
}

/// `expand` and `fields`, shared by every route that returns customers.
struct CustomerShape {
    var expand: Set<CustomerRelation>
    /// nil: every field.
    var fields: Set<CustomerField>?

    /// Reads `expand` and `fields` from the query; adds messages for values outside the allowlists.
    static func read(_ items: QueryItems, defaultExpand: Set<CustomerRelation>, into validator: inout Validator) -> CustomerShape {
        var shape = CustomerShape(expand: defaultExpand, fields: nil)
        if let expand = items.value("expand") {
            let names = expand.split(separator: ",").map { $0.trimmingSpaces }
            let relations = names.compactMap { CustomerRelation(rawValue: $0) }
            if relations.count != names.count {
                validator.add(
                    "expand must be a comma-separated subset of \(CustomerRelation.allCases.map(\.rawValue).joined(separator: ", "))")
            } else {
                shape.expand = Set(relations)
            }
        }
        shape.fields = validator.readSubset("fields", items, of: CustomerField.self, always: [.id])
        return shape
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

/// Reads the query of a customer list (GET /admin/customers and GET /admin/customer-groups/:id/customers) and
/// of the export (GET /admin/customers/export), which takes the list's filters and order only.
enum CustomerListParameters {
    static let maximumLimit = 1000
    static let maximumSearchLength = 1000
    static let timeKeys = Set(["created_at", "updated_at"].flatMap { field in
        TimeBound.Comparison.allCases.map { "\(field)[\($0.rawValue)]" }
    })
    static let filterKeys: Set<String> = ["q", "has_account", "order", "groups", "groups[]"]

    /// A list's query. `groupID` restricts it to one group's members (the group route), before a cursor is
    /// checked against it.
    static func read(_ items: QueryItems, groupID: String? = nil) throws -> (query: CustomerListQuery, shape: CustomerShape) {
        var validator = Validator()
        checkKeys(items, extra: ["limit", "offset", "cursor", "expand", "fields"], into: &validator)
        let (limit, offset) = validator.readPage(items)
        var query = readFilters(items, into: &validator)
        (query.limit, query.offset) = (limit, offset)
        let shape = CustomerShape.read(items, defaultExpand: [], into: &validator)
        let cursor = items.value("cursor")
        if cursor != nil && items.value("offset") != nil { validator.add("offset and cursor cannot be used together") }
        try validator.finish()
        if let groupID { query.groupIDs = [groupID] }
        if let cursor { query.after = try ListCursor.decode(cursor, for: query) }
        return (query, shape)
    }

    /// The export's query: the list's filters and order; any other key (limit, offset, cursor, expand,
    /// fields, …) is refused like an unknown one.
    static func readExport(_ items: QueryItems) throws -> CustomerListQuery {
        var validator = Validator()
        checkKeys(items, extra: [], into: &validator)
        let query = readFilters(items, into: &validator)
        try validator.finish()
        return query
    }

    /// Unknown keys (and NUL characters in known ones), in the order the client sent them.
    private static func checkKeys(_ items: QueryItems, extra: Set<String>, into validator: inout Validator) {
        for (key, value) in items.items {
            let known = filterKeys.contains(key) || extra.contains(key) || timeKeys.contains(key) || isIndexedGroupKey(key)
            if !known {
                validator.add("property \(key) should not exist")
            } else if value.utf8.contains(0) {
                validator.add("\(key) must not contain NUL characters")
            }
        }
    }

    /// q, has_account, groups, the time bounds and order, in the order API.md lists them.
    private static func readFilters(_ items: QueryItems, into validator: inout Validator) -> CustomerListQuery {
        var query = CustomerListQuery()
        if let search = items.value("q"), !search.isEmpty {
            if search.count > maximumSearchLength {
                validator.add("q must be shorter than or equal to \(maximumSearchLength) characters")
            } else {
                query.search = search
            }
        }
        if let hasAccount = items.value("has_account") {
            switch hasAccount {
            case "true": query.hasAccount = true
            case "false": query.hasAccount = false
            default: validator.add("has_account must be a boolean value")
            }
        }
        query.groupIDs = items.items.filter { $0.key == "groups" || $0.key == "groups[]" || isIndexedGroupKey($0.key) }
            .flatMap { $0.value.split(separator: ",").map { $0.trimmingSpaces } }
            .filter { !$0.isEmpty }
        query.createdAt = validator.readTimeBounds("created_at", items)
        query.updatedAt = validator.readTimeBounds("updated_at", items)
        if let (field, descending) = validator.readOrder(items, CustomerOrderField.self) {
            query.orderField = field
            query.descending = descending
        }
        return query
    }

    /// `groups[0]`, `groups[1]`, … as Medusa's JS client sends them.
    static func isIndexedGroupKey(_ key: String) -> Bool {
        guard key.hasPrefix("groups["), key.hasSuffix("]") else { return false }
        let index = key.dropFirst(7).dropLast()
        return !index.isEmpty && index.allSatisfy(\.isASCII) && index.allSatisfy(\.isNumber)
    }

    /// A non-negative integer not above `maximum`.
    static func readCount(_ name: String, _ text: String, maximum: Int?, into validator: inout Validator) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }), let value = Int(text) else {
            validator.add("\(name) must be a number conforming to the specified constraints")
            return nil
        }
        if value < 0 {
            validator.add("\(name) must not be less than 0")
            return nil
        }
        if let maximum, value > maximum {
            validator.add("\(name) must not be greater than \(maximum)")
            return nil
        }
        return value
    }
}
