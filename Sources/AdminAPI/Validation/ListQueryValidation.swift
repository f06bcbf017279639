import Validation

/// The paging and ordering parameters every list route reads.
extension Validator {
    /// `limit` (0...1000, default 50 unless the route says otherwise) and `offset` (≥ 0, default 0) of a list route.
    mutating func readPage(_ items: QueryItems, defaultLimit: Int = 50) -> (limit: Int, offset: Int) {
        let limit = items.value("limit").flatMap {
            CustomerListParameters.readCount("limit", $0, maximum: CustomerListParameters.maximumLimit, into: &self)
        } ?? defaultLimit
        let offset = items.value("offset").flatMap {
            CustomerListParameters.readCount("offset", $0, maximum: nil, into: &self)
        } ?? 0
        return (limit, offset)
    }

    /// `order`: one of `Field`'s names, `-` in front for descending; nil when absent or not allowed.
    mutating func readOrder<Field: RawRepresentable & CaseIterable>(
        _ items: QueryItems, _ field: Field.Type
    ) -> (field: Field, descending: Bool)? where Field.RawValue == String {
        guard let order = items.value("order") else { return nil }
        let descending = order.hasPrefix("-")
        if let chosen = Field(rawValue: descending ? String(order.dropFirst()) : order) { return (chosen, descending) }
        add("order must be one of \(Field.allCases.map(\.rawValue).joined(separator: ", ")), optionally prefixed with -")
        return nil
    }
}

