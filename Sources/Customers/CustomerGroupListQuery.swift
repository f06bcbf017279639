import Postgres

/// Columns a group list can be ordered by (an allowlist: they are written into ORDER BY).
public enum CustomerGroupOrderField: String, Sendable, CaseIterable {
    case id, name, created_at, updated_at
}

/// An operator on a string column, as Medusa's `StringComparisonOperator` (`id[lt]=…`, `id[contains]=…`).
public enum StringComparison: String, Sendable, CaseIterable {
    case lt, gt, lte, gte, contains, starts_with, ends_with
}

/// Which groups, in which order, which page (GET /admin/customer-groups, Medusa's
/// `AdminGetCustomerGroupsParams`): every filter given must hold.
public struct CustomerGroupListQuery: Sendable {
    public var limit = 10
    public var offset = 0
    /// Case-insensitive substring of the name.
    public var search: String?
    /// Groups with one of these ids (`id=…`, repeated, `id[]=…`); nil: any id.
    public var ids: [String]?
    /// `id[lt]=…` and the other operators.
    public var idComparisons: [(StringComparison, String)] = []
    /// Groups with one of these exact names; nil: any name.
    public var names: [String]?
    public var createdAt: [TimeBound] = []
    public var updatedAt: [TimeBound] = []
    /// Set by a filter nothing can satisfy (`discount_condition_id`: Clientele has no discounts).
    public var matchesNothing = false
    public var orderField: CustomerGroupOrderField = .created_at
    public var descending = true

    public init() {}

    /// The WHERE conditions on `customer_group g`.
    var conditions: SQL {
        var conditions: [SQL] = ["g.deleted_at IS NULL"]
        if matchesNothing { conditions.append("false") }
        if let search {
            conditions.append("lower(g.name) LIKE \(CustomerListQuery.containsPattern(search))")
        }
        if let ids { conditions.append("g.id = ANY(\(ids)::text[])") }
        for (comparison, value) in idComparisons { conditions.append(Self.condition("g.id", comparison, value)) }
        if let names { conditions.append("g.name = ANY(\(names)::text[])") }
        for bound in createdAt {
            conditions.append("g.created_at \(unsafeRaw: bound.comparison.sqlOperator) \(bound.value)::timestamptz")
        }
        for bound in updatedAt {
            conditions.append("g.updated_at \(unsafeRaw: bound.comparison.sqlOperator) \(bound.value)::timestamptz")
        }
        return SQL.join(conditions, " AND ")
    }

    /// `column` compared as Medusa's query builder does: the order operators on the text, the pattern operators
    /// case-insensitively (ILIKE), except that `%` and `_` in the value match themselves.
    static func condition(_ column: String, _ comparison: StringComparison, _ value: String) -> SQL {
        // containsPattern gives `%value%` with the value's wildcards escaped; an anchored match drops one `%`.
        let contains = CustomerListQuery.containsPattern(value)
        switch comparison {
        case .lt: return "\(unsafeRaw: column) < \(value)"
        case .gt: return "\(unsafeRaw: column) > \(value)"
        case .lte: return "\(unsafeRaw: column) <= \(value)"
        case .gte: return "\(unsafeRaw: column) >= \(value)"
        case .contains: return "lower(\(unsafeRaw: column)) LIKE \(contains)"
        case .starts_with: return "lower(\(unsafeRaw: column)) LIKE \(String(contains.dropFirst()))"
        case .ends_with: return "lower(\(unsafeRaw: column)) LIKE \(String(contains.dropLast()))"
        }
    }

    /// `ORDER BY` for `prefix.column`: the chosen field, then id, so that pages are stable.
    func orderBy(_ prefix: String) -> SQL {
        let direction = descending ? "DESC" : "ASC"
        return "\(unsafeRaw: prefix).\(unsafeRaw: orderField.rawValue) \(unsafeRaw: direction), \(unsafeRaw: prefix).id \(unsafeRaw: direction)"
    }
}
