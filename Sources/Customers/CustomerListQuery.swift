import Postgres

/// A timestamp bound of a list filter, e.g. `created_at[gte]`.
public struct TimeBound: Sendable, Equatable {
    public enum Comparison: String, Sendable, CaseIterable {
        case lt, gt, lte, gte

        var sqlOperator: String {
            switch self {
            case .lt: return "<"
            case .gt: return ">"
            case .lte: return "<="
            case .gte: return ">="
            }
        }
    }

    public var comparison: Comparison
    public var value: Timestamp

    public init(_ comparison: Comparison, _ value: Timestamp) {
        self.comparison = comparison
        self.value = value
    }
}

/// Columns a customer list can be ordered by (an allowlist: they are written into ORDER BY).
public enum CustomerOrderField: String, Sendable, CaseIterable {
    case id, email, first_name, last_name, phone, has_account, created_at, updated_at
}

/// Which customers, in which order, which page.
public struct CustomerListQuery: Sendable {
    public var limit = 50
    public var offset = 0
    /// Case-insensitive substring of email, "first last" or phone; `%` and `_` match themselves.
    public var search: String?
    public var hasAccount: Bool?
    /// Customers in any of these groups.
    public var groupIDs: [String] = []
    public var createdAt: [TimeBound] = []
    public var updatedAt: [TimeBound] = []
    public var orderField: CustomerOrderField = .created_at
    public var descending = true

    public init() {}

    /// True when only has_account (or nothing) filters the list: the count then comes from the counter.
    var isCountedByCounter: Bool {
        search == nil && groupIDs.isEmpty && createdAt.isEmpty && updatedAt.isEmpty
    }

    /// The WHERE conditions on `customer c`.
    var conditions: SQL {
        var conditions: [SQL] = ["c.deleted_at IS NULL"]
        if let search {
            conditions.append(
                "customer_search_text(c.email, c.first_name, c.last_name, c.phone) LIKE \(Self.containsPattern(search))")
        }
        if let hasAccount { conditions.append("c.has_account = \(hasAccount)") }
        if !groupIDs.isEmpty {
            conditions.append(
                "c.id IN (SELECT customer_id FROM customer_group_customers WHERE customer_group_id = ANY(\(groupIDs)::text[]))")
        }
        for bound in createdAt {
            conditions.append("c.created_at \(unsafeRaw: bound.comparison.sqlOperator) \(bound.value)::timestamptz")
        }
        for bound in updatedAt {
            conditions.append("c.updated_at \(unsafeRaw: bound.comparison.sqlOperator) \(bound.value)::timestamptz")
        }
        return SQL.join(conditions, " AND ")
    }

    /// `ORDER BY` for `prefix.column`: the chosen field, then id, so that pages are stable.
    func orderBy(_ prefix: String) -> SQL {
        let direction = descending ? "DESC" : "ASC"
        if orderField == .id { return "\(unsafeRaw: prefix).id \(unsafeRaw: direction)" }
        return "\(unsafeRaw: prefix).\(unsafeRaw: orderField.rawValue) \(unsafeRaw: direction), \(unsafeRaw: prefix).id \(unsafeRaw: direction)"
    }

    /// The columns `orderBy(prefix)` reads: id, and the ordering column unless that is id.
    func orderKeys(_ prefix: String) -> SQL {
        if orderField == .id { return "\(unsafeRaw: prefix).id" }
        return "\(unsafeRaw: prefix).id, \(unsafeRaw: prefix).\(unsafeRaw: orderField.rawValue)"
    }

    /// `%text%` for LIKE, lower-cased, with the LIKE wildcards of the text escaped so they match themselves.
    static func containsPattern(_ text: String) -> String {
        var pattern = "%"
        for character in text.lowercased() {
            if character == "%" || character == "_" || character == "\\" { pattern.append("\\") }
            pattern.append(character)
        }
        return pattern + "%"
    }
}
