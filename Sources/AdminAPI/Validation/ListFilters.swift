import Customers
import Postgres
import Validation

/// Readers of the query parameters that every list route spells the same way.
extension Validator {
    /// `field[lt]`, `field[gt]`, `field[lte]`, `field[gte]`: ISO 8601 timestamps, combined with AND.
    mutating func readTimeBounds(_ field: String, _ items: QueryItems) -> [TimeBound] {
        TimeBound.Comparison.allCases.compactMap { comparison in
            let key = "\(field)[\(comparison.rawValue)]"
            guard let text = items.value(key) else { return nil }
            guard let timestamp = Timestamp(parsing: text) else {
                add("\(key) must be a valid ISO 8601 date string")
                return nil
            }
            return TimeBound(comparison, timestamp)
        }
    }

    /// A comma-separated subset of `Field`'s names (`fields=email,phone`), with `always` added; nil when the
    /// parameter is absent or names something else (an allowlist: a 400, never a silent ignore).
    mutating func readSubset<Field: RawRepresentable & CaseIterable & Hashable>(
        _ name: String, _ items: QueryItems, of field: Field.Type, always: Set<Field>
    ) -> Set<Field>? where Field.RawValue == String {
        guard let text = items.value(name) else { return nil }
        let names = text.split(separator: ",").map { $0.trimmingSpaces }
        let known = names.compactMap { Field(rawValue: $0) }
        guard known.count == names.count else {
            add("\(name) must be a comma-separated subset of \(Field.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return Set(known).union(always)
    }
}
