import Foundation

/// ULIDs (https://github.com/ulid/spec): 48 bits of milliseconds since 1970 and 80 random bits, as 26
/// characters of Crockford's base32 in upper case. They sort by creation time, like Medusa's ids.
public enum ULID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    public static func make(date: Date = Date()) -> String {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var generator = SystemRandomNumberGenerator()
        let high = UInt16.random(in: .min ... .max, using: &generator)
        let low = UInt64.random(in: .min ... .max, using: &generator)
        var bytes = [UInt8](repeating: 0, count: 26)
        // 10 characters of time (50 bits, the top 2 always zero), then 16 of randomness (80 bits).
        for index in 0..<10 {
            bytes[9 - index] = alphabet[Int((milliseconds >> (5 * UInt64(index))) & 31)]
        }
        for index in 0..<16 {
            let shift = 5 * (15 - index)
            let value: UInt64
            if shift >= 64 {
                value = UInt64(high) >> UInt64(shift - 64)
            } else if shift > 48 {
                value = (low >> UInt64(shift)) | (UInt64(high) << UInt64(64 - shift))
            } else {
                value = low >> UInt64(shift)
            }
            bytes[10 + index] = alphabet[Int(value & 31)]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// `prefix_` followed by a new ULID, e.g. `cus_01HF…`.
public func makeID(prefix: String) -> String { "\(prefix)_\(ULID.make())" }
