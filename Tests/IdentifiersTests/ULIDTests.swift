import Testing

@testable import Identifiers

@Suite struct ULIDTests {
    static let crockford = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    @Test func aULIDIs26CrockfordBase32CharactersInUpperCase() {
        for _ in 0..<100 {
            let ulid = ULID.make()
            #expect(ulid.count == 26)
            #expect(ulid.allSatisfy(Self.crockford.contains), "\(ulid)")
            #expect("01234567".contains(ulid.first!))  // 128 bits: the first character carries 3
        }
    }

    @Test func theFirstTenCharactersAreTheTimeInMilliseconds() {
        var generator = SystemRandomNumberGenerator()
        // The spec's example time, 1469918176385 ms, encodes as 01ARYZ6S41.
        let ulid = ULID.make(milliseconds: 1_469_918_176_385, using: &generator)
        #expect(ulid.hasPrefix("01ARYZ6S41"))
        #expect(ULID.milliseconds(of: ulid) == 1_469_918_176_385)
        let now = ULID.currentMilliseconds()
        #expect(ULID.milliseconds(of: ULID.make()).map { $0 >= now && $0 < now + 5_000 } == true)
    }

    @Test func ulidsOfLaterMillisecondsSortLater() {
        var generator = SystemRandomNumberGenerator()
        let earlier = ULID.make(milliseconds: 1_700_000_000_000, using: &generator)
        let later = ULID.make(milliseconds: 1_700_000_000_001, using: &generator)
        #expect(earlier < later)
    }

    @Test func theRandomPartDiffers() {
        #expect(Set((0..<1000).map { _ in ULID.make() }).count == 1000)
    }

    @Test func idsArePrefixUnderscoreULID() {
        let id = makeID(prefix: "usr")
        #expect(id.hasPrefix("usr_"))
        #expect(id.count == 30)
        #expect(ULID.milliseconds(of: String(id.dropFirst(4))) != nil)
        #expect(makeID(prefix: "cus_").hasPrefix("cus_0"))
    }

    @Test func notAULID() {
        #expect(ULID.milliseconds(of: "") == nil)
        #expect(ULID.milliseconds(of: "01ARYZ6S41TSV4RRFFQ69G5FAU") == nil)  // U is not Crockford
        #expect(ULID.milliseconds(of: "81ARYZ6S41TSV4RRFFQ69G5FAV") == nil)  // over 128 bits
    }
}
