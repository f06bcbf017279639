import Foundation
import Testing

@testable import Passwords

/// A cheap scrypt keeps these tests fast; one test runs the default cost once.
let cheap = PasswordHasher(scheme: .scrypt(logN: 10, r: 8, p: 1))

@Suite struct PasswordHasherTests {
    @Test func aHashVerifiesItsPasswordAndNoOther() throws {
        let stored = try cheap.hash("correct horse battery staple")
        #expect(stored.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(cheap.verify("correct horse battery staple", against: stored))
        #expect(!cheap.verify("correct horse battery staplf", against: stored))
        #expect(!cheap.verify("", against: stored))
    }

    @Test func theDefaultCostIsScryptN32768R8P1AndRoundTrips() throws {
        let hasher = PasswordHasher()
        #expect(hasher.scheme == .scrypt(logN: 15, r: 8, p: 1))
        let stored = try hasher.hash("pässwörd 🔑")
        #expect(stored.hasPrefix("$scrypt$ln=15,r=8,p=1$"))
        #expect(hasher.verify("pässwörd 🔑", against: stored))
        #expect(!hasher.needsRehash(stored))
    }

    @Test func twoHashesOfOnePasswordDifferBySalt() throws {
        #expect(try cheap.hash("same") != cheap.hash("same"))
    }

    @Test func aTamperedHashVerifiesNothing() throws {
        let stored = try cheap.hash("secret")
        let fields = stored.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        // Another key, another salt, another cost, truncated, garbage: all false, none a crash.
        var otherKey = fields
        otherKey[4] = String(otherKey[4].reversed())
        var otherSalt = fields
        otherSalt[3] = "AAAAAAAAAAAAAAAAAAAAAA"
        var otherCost = fields
        otherCost[2] = "ln=11,r=8,p=1"
        let tampered = [
            otherKey.joined(separator: "$"), otherSalt.joined(separator: "$"), otherCost.joined(separator: "$"),
            String(stored.dropLast(4)), "", "$", "$scrypt$", "$scrypt$ln=99,r=8,p=1$AAAA$AAAA", "plaintext",
            "$scrypt$ln=10,r=8,p=1,p=2$" + fields[3] + "$" + fields[4],
        ]
        for hash in tampered {
            #expect(!cheap.verify("secret", against: hash), "\(hash)")
        }
    }

    /// Written by Tests/PasswordsTests/make_vectors.py with Python's hashlib.scrypt, not by our code.
    @Test func aHashMadeByPythonInOurFormatVerifies() {
        let stored = "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$nfkj3u1fRTHCea+fVr03sWV770kp5wLOLoEakziKhqE"
        #expect(cheap.verify("correct horse", against: stored))
        #expect(!cheap.verify("correct horsE", against: stored))
        #expect(!cheap.needsRehash(stored))
    }

    /// Medusa v1 hashes with npm scrypt-kdf at logN 1, r 1, p 1. Vectors from make_vectors.py, which
    /// reproduces scrypt-kdf's own published test vector (the last one, from its test/scrypt-tests.js).
    @Test(arguments: [
        ("supersecret",
         "c2NyeXB0AAEAAAABAAAAAQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fRmO4DFmBBq0SdOiguek89xizriuxN4r79PIRUytkQ2MpV6lrSv9Ikn47WEx8S+Vv"),
        ("pässwörd 🔑",
         "c2NyeXB0AAoAAAAIAAAAAWRlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDOpnirwO+CYrPkxC6LXgFcR9Ic6BMp8xwS02XrFW4U2EUHItNAgDzh9sSmvqFeAnt"),
        ("my secret password",
         "c2NyeXB0AAwAAAAIAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA08wOZXFAec6Si7mP1SzrmK6Pvpx2zfUEXXAuM68S4DAnUER44bh+BxsnxMC75Jgs"),
    ])
    func medusaHashesVerifyAndAskForARehash(password: String, stored: String) {
        #expect(cheap.verify(password, against: stored))
        #expect(!cheap.verify(password + "x", against: stored))
        #expect(cheap.needsRehash(stored))
    }

    @Test func aMedusaHashWithAChangedHeaderOrMacFails() throws {
        let stored = "c2NyeXB0AAEAAAABAAAAAQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fRmO4DFmBBq0SdOiguek89xizriuxN4r79PIRUytkQ2MpV6lrSv9Ikn47WEx8S+Vv"
        var bytes = try #require(Data(base64Encoded: stored))
        for index in [7, 20, 50, 95] {  // logN (checksum breaks), salt, checksum, HMAC
            var changed = bytes
            changed[index] ^= 0x01
            #expect(!cheap.verify("supersecret", against: changed.base64EncodedString()), "byte \(index)")
        }
        bytes[6] = 1  // unknown version
        #expect(!cheap.verify("supersecret", against: bytes.base64EncodedString()))
    }

    @Test func needsRehashWhenTheCostOrSchemeDiffers() throws {
        let current = try cheap.hash("x")
        #expect(!cheap.needsRehash(current))
        #expect(PasswordHasher().needsRehash(current))
        #expect(cheap.needsRehash("garbage"))
        let fast = PasswordHasher(scheme: .unsafeFastSHA256)
        let fastHash = try fast.hash("x")
        #expect(cheap.needsRehash(fastHash))
        #expect(!fast.needsRehash(fastHash))
        #expect(fast.needsRehash(current))
    }

    @Test func anyHasherVerifiesAnySupportedFormat() throws {
        let fast = PasswordHasher(scheme: .unsafeFastSHA256)
        let fastHash = try fast.hash("benchmark")
        #expect(fastHash.hasPrefix("$sha256-unsafe$"))
        #expect(cheap.verify("benchmark", against: fastHash))
        #expect(!cheap.verify("benchmarK", against: fastHash))
        #expect(fast.verify("x", against: try cheap.hash("x")))
    }

    @Test func unsupportedParametersAreAnErrorWhenHashing() {
        #expect(throws: PasswordHasher.Failure.self) {
            try PasswordHasher(scheme: .scrypt(logN: 30, r: 8, p: 1)).hash("x")
        }
    }

    /// The dummy derives a whole key at the hasher's parameters (the default's and a cheap one's), and says
    /// so; with parameters the derivation refuses it did no work, and says that too.
    @Test func dummyVerifyDoesTheWorkOfAVerifyWithoutAHash() {
        #expect(PasswordHasher.dummyVerify("anything"))
        #expect(cheap.dummyVerify("anything"))
        #expect(PasswordHasher(scheme: .unsafeFastSHA256).dummyVerify("anything"))
        #expect(!PasswordHasher(scheme: .scrypt(logN: 30, r: 8, p: 1)).dummyVerify("anything"))
    }

    /// Every comparison of secret bytes goes through `constantTimeEquals`, which looks at every byte
    /// whatever the first difference (no early exit), and only short-cuts on length, which is public.
    @Test func constantTimeEqualsComparesWholeStrings() {
        let a: [UInt8] = Array(repeating: 7, count: 32)
        var firstDiffers = a
        firstDiffers[0] = 8
        var lastDiffers = a
        lastDiffers[31] = 8
        #expect(constantTimeEquals(a, a))
        #expect(!constantTimeEquals(a, firstDiffers))
        #expect(!constantTimeEquals(a, lastDiffers))
        #expect(!constantTimeEquals(a, a.dropLast()))
        #expect(constantTimeEquals([UInt8](), [UInt8]()))
    }

    @Test func theSourceComparesSecretsOnlyInConstantTime() throws {
        // A guard against a later edit that compares digests with `==`: the verifying code must not.
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Passwords")
        for file in ["PasswordHasher.swift", "MedusaScryptHash.swift"] {
            let source = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for forbidden in ["actual ==", "== expected", "elementsEqual(expected", "mac ==", "checksum =="] {
                #expect(!source.contains(forbidden), "\(file) contains \(forbidden)")
            }
            #expect(source.contains("constantTimeEquals("))
        }
    }
}
