import Validation

/// The paging and ordering parameters every list route reads.
extension Validator {
    /// `limit` (0...1000, default 50) and `offset` (≥ 0, default 0) of a list route.
    mutating func readPage(_ items: QueryItems) -> (limit: Int, offset: Int) {
        let limit = items.value("limit").flatMap {
            CustomerListParameters.readCount("limit", $0, maximum: CustomerListParameters.maximumLimit, into: &self)
        } ?? 50
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

