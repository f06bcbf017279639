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

    /// What the list sorts by, on the customer aliased `prefix`: the column, except for the free-text columns
    /// without a length limit, whose first 256 characters are the key. Each expression has a btree index of
    /// its own (migration 0008), and a btree entry holds at most about 2,700 bytes: indexing the whole column
    /// would make a create with a longer name fail. Names that agree on 256 characters are ordered by id.
    func sortKey(_ prefix: String) -> String {
        switch self {
        case .first_name, .last_name, .phone: return "substr(\(prefix).\(rawValue), 1, 256)"
        default: return "\(prefix).\(rawValue)"
        }
    }

    /// The columns that may be NULL: ascending lists put NULLs last, descending ones first (PostgreSQL's
    /// default, which the indexes follow), and a page boundary among them needs its own conditions.
    var isNullable: Bool { self == .first_name || self == .last_name || self == .phone }
}

/// Where a cursor page starts: right after the row with this sort key and id, in the list's order.
public struct CustomerListPosition: Sendable, Equatable {
    /// The sort key of that row as PostgreSQL prints it (`CustomerOrderField.sortKey`), nil for NULL. Text
    /// keeps timestamps to the microsecond, which the API's milliseconds would not.
    public var key: String?
    public var id: String

    public init(key: String?, id: String) {
        self.key = key
        self.id = id
    }
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
    /// A cursor page: the rows after this position (never combined with an offset).
    public var after: CustomerListPosition?

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
        // Each value has its cast: the export reads them back as text (CopyOutStream).
        if let hasAccount { conditions.append("c.has_account = \(hasAccount)::boolean") }
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

    /// `ORDER BY` for a customer aliased `prefix`: the sort key, then id, so that pages are stable.
    func orderBy(_ prefix: String) -> SQL {
        let direction = descending ? "DESC" : "ASC"
        if orderField == .id { return "\(unsafeRaw: prefix).id \(unsafeRaw: direction)" }
        return "\(unsafeRaw: orderField.sortKey(prefix)) \(unsafeRaw: direction), \(unsafeRaw: prefix).id \(unsafeRaw: direction)"
    }

    /// `ORDER BY` for rows that carry the sort key as a column `key` beside `id` (the matches of a filter).
    func orderBy(key: String, id: String) -> SQL {
        let direction = descending ? "DESC" : "ASC"
        if orderField == .id { return "\(unsafeRaw: id) \(unsafeRaw: direction)" }
        return "\(unsafeRaw: key) \(unsafeRaw: direction), \(unsafeRaw: id) \(unsafeRaw: direction)"
    }

    /// The rows after `after` in the list's order, as alternatives (to be joined with OR, or run as the
    /// branches of a UNION ALL so that each is one index range): usually one row comparison, which a btree
    /// index on (key, id) scans from the position on. A nullable key adds a branch for the NULLs, which sort
    /// after every value going up and before every value going down. Empty when there is no position.
    func keysetBranches(key: String, id: String) -> [SQL] {
        guard let after else { return [] }
        let comparison = descending ? "<" : ">"
        if orderField == .id { return ["\(unsafeRaw: id) \(unsafeRaw: comparison) \(after.id)"] }
        guard let value = after.key else {
            // The position is among the NULLs.
            let amongNulls: SQL = "\(unsafeRaw: key) IS NULL AND \(unsafeRaw: id) \(unsafeRaw: comparison) \(after.id)"
            return descending ? [amongNulls, "\(unsafeRaw: key) IS NOT NULL"] : [amongNulls]
        }
        let rowComparison: SQL = "(\(unsafeRaw: key), \(unsafeRaw: id)) \(unsafeRaw: comparison) (\(value), \(after.id))"
        return orderField.isNullable && !descending ? [rowComparison, "\(unsafeRaw: key) IS NULL"] : [rowComparison]
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
