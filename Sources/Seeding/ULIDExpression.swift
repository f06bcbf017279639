/// ULIDs computed by PostgreSQL for rows generated server-side: the 48-bit millisecond time of the row
/// (so ids sort by `created_at` as the API's own ids do), then 80 bits made of a random salt fixed for the
/// run (8 characters) and the row's counter (8 characters, 40 bits), which keeps ids unique within a run.
enum ULIDExpression {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// An SQL expression of 26 Crockford base32 characters; `milliseconds` and `counter` name bigint
    /// expressions, `salt` is 8 characters of the alphabet. Plain `substr` calls, no function: PostgreSQL
    /// evaluates it inline for each row.
    static func sql(milliseconds: String, salt: String, counter: String) -> String {
        precondition(salt.count == 8 && salt.allSatisfy(alphabet.contains), "salt must be 8 base32 characters")
        func characters(of value: String, count: Int) -> [String] {
            (0..<count).map { index in
                "substr('\(String(alphabet))', ((\(value) >> \(5 * (count - 1 - index))) & 31)::int + 1, 1)"
            }
        }
        let parts = characters(of: milliseconds, count: 10) + ["'\(salt)'"] + characters(of: counter, count: 8)
        return "(" + parts.joined(separator: " || ") + ")"
    }

}
