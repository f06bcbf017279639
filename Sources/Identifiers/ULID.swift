#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ULIDs (https://github.com/ulid/spec): 48 bits of milliseconds since 1970 then 80 random bits, written as
/// 26 characters of Crockford's base32 in upper case. They sort by creation time (to the millisecond), so
/// primary keys made of them stay in roughly insertion order.
public enum ULID {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new ULID for the current time.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(milliseconds: currentMilliseconds(), using: &generator)
    }

    /// A ULID for a given time and source of randomness (tests pin both).
    public static func make(milliseconds: UInt64, using generator: inout some RandomNumberGenerator) -> String {
        // 128 bits: time in the top 48, randomness in the low 80.
        let randomHigh = UInt64(generator.next() as UInt16)
        let randomLow: UInt64 = generator.next()
        let high = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | randomHigh
        let low = randomLow
        // 26 characters × 5 bits = 130 bits: the first character carries only the top 3 bits.
        var characters = [UInt8](repeating: 0, count: 26)
        for index in 0..<26 {
            let shift = (25 - index) * 5  // bit offset of this character's lowest bit in the 128-bit value
            let value: UInt64
            if shift >= 64 {
                value = high >> UInt64(shift - 64)
            } else if shift + 5 <= 64 {
                value = low >> UInt64(shift)
            } else {
                value = (low >> UInt64(shift)) | (high << UInt64(64 - shift))
            }
            characters[index] = alphabet[Int(value & 0x1F)]
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// The milliseconds since 1970 encoded in the first 10 characters, or nil if `text` is not a ULID.
    public static func milliseconds(of text: String) -> UInt64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 26 else { return nil }
        var value: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            guard let digit = alphabet.firstIndex(of: byte) else { return nil }
            if index == 0 && digit > 7 { return nil }  // would overflow 128 bits
            if index < 10 { value = value << 5 | UInt64(digit) }
        }
        return value
    }

    static func currentMilliseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
    }
}

/// An id of the API's form: a prefix, an underscore and a ULID, as in `usr_01HF3Z…`. `prefix` is given
/// without the underscore (`makeID(prefix: "usr")`); one already ending in `_` is not doubled.
public func makeID(prefix: String) -> String {
    (prefix.hasSuffix("_") ? prefix : prefix + "_") + ULID.make()
}
