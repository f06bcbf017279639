// The table of documents the parser is specified by: JSONParserTests checks every row, and scripts/fuzz-json.sh
// compiles this file into the libFuzzer target (with -D JSON_FUZZER, the JSON sources in the same module) and
// writes every row's bytes into its seed corpus.
#if !JSON_FUZZER
import JSON
#endif

enum JSONDocuments {
    /// A document and what the parser must make of it: its exact value, or the exact message it is refused with.
    struct Document<Expected: Sendable>: Sendable, CustomStringConvertible {
        let bytes: [UInt8]
        let expected: Expected
        init(_ text: String, _ expected: Expected) { self.init(bytes: Array(text.utf8), expected) }
        init(bytes: [UInt8], _ expected: Expected) {
            self.bytes = bytes
            self.expected = expected
        }
        var description: String { JSONDocuments.printable(bytes) }
    }

    typealias Accepted = Document<JSONValue>
    typealias Rejected = Document<String>

    /// An object with these members in this order.
    static func object(_ members: KeyValuePairs<String, JSONValue>) -> JSONValue {
        var object = JSONObject()
        for (key, value) in members { object[key] = value }
        return .object(object)
    }

    /// `levels` arrays nested in each other, the innermost empty.
    static func nestedArrays(_ levels: Int) -> (text: String, value: JSONValue) {
        var value = JSONValue.array([])
        for _ in 1..<levels { value = .array([value]) }
        return (String(repeating: "[", count: levels) + String(repeating: "]", count: levels), value)
    }

    static let accepted: [Accepted] = [
        // Literals and whitespace (the four RFC 8259 whitespace characters, around the value only).
        Accepted("null", .null),
        Accepted("true", .bool(true)),
        Accepted("false", .bool(false)),
        Accepted(" \t\r\n null \n\r\t ", .null),
        Accepted(" [ 1 , { \"a\" : 2 } ] ", .array([.number("1"), object(["a": .number("2")])])),
        // Numbers keep their text: no rounding, no Int64 limit, -0 stays -0.
        Accepted("0", .number("0")),
        Accepted("-0", .number("-0")),
        Accepted("-0.0", .number("-0.0")),
        Accepted("7", .number("7")),
        Accepted("-12", .number("-12")),
        Accepted("3.25", .number("3.25")),
        Accepted("0.5", .number("0.5")),
        Accepted("1e10", .number("1e10")),
        Accepted("1E+10", .number("1E+10")),
        Accepted("2.5e-3", .number("2.5e-3")),
        Accepted("0e0", .number("0e0")),
        Accepted("1e007", .number("1e007")),
        Accepted("9223372036854775807", .number("9223372036854775807")),
        Accepted("-9223372036854775809", .number("-9223372036854775809")),
        Accepted("123456789012345678901234567890123456789", .number("123456789012345678901234567890123456789")),
        Accepted("1e400", .number("1e400")),
        Accepted("-1.5E-400", .number("-1.5E-400")),
        // Strings: every escape, \u in either case, surrogate pairs, raw UTF-8 of every length.
        Accepted("\"\"", .string("")),
        Accepted("\"abc\"", .string("abc")),
        Accepted(#""\" \\ \/ \b \f \n \r \t""#, .string("\" \\ / \u{08} \u{0C} \n \r \t")),
        Accepted(#""\u0041\u00e9\u00E9\u20ac""#, .string("Aéé€")),
        Accepted(#""\u0000""#, .string("\u{0}")),
        Accepted(#""\u001f\u007f""#, .string("\u{1F}\u{7F}")),
        Accepted(#""\uD83D\uDE00""#, .string("😀")),
        Accepted(#""\ud834\udd1e""#, .string("𝄞")),
        Accepted(#""\uDBFF\uDFFF""#, .string("\u{10FFFF}")),
        Accepted(#""a\uD83D\uDE00b\u00e9""#, .string("a😀bé")),
        Accepted("\"héllo 中文 😀\"", .string("héllo 中文 😀")),
        Accepted(#""\u2028\u2029""#, .string("\u{2028}\u{2029}")),
        Accepted("\"\u{7F}\"", .string("\u{7F}")),
        Accepted(#""<\/script>""#, .string("</script>")),
        Accepted("\"</script>\"", .string("</script>")),
        // Arrays and objects.
        Accepted("[]", .array([])),
        Accepted("[ ]", .array([])),
        Accepted("[1,[2,[3,[]]]]", .array([.number("1"), .array([.number("2"), .array([.number("3"), .array([])])])])),
        Accepted("[null,true,\"x\",{}]", .array([.null, .bool(true), .string("x"), object([:])])),
        Accepted("{}", object([:])),
        Accepted("{ }", object([:])),
        Accepted(#"{"":0}"#, object(["": .number("0")])),
        Accepted(#"{"b":1,"a":[2]}"#, object(["b": .number("1"), "a": .array([.number("2")])])),
        Accepted(#"{"a":{"b":{"c":null}}}"#, object(["a": object(["b": object(["c": .null])])])),
        // A key sent twice keeps its last value in the place of its first (JavaScript's JSON.parse does the
        // same); escapes are decoded before keys are compared.
        Accepted(#"{"a":1,"b":2,"a":3}"#, object(["a": .number("3"), "b": .number("2")])),
        Accepted(#"{"a":1,"\u0061":{}}"#, object(["a": object([:])])),
        // The depth limit: 64 levels are accepted.
        Accepted(nestedArrays(JSONParser.maximumDepth).text, nestedArrays(JSONParser.maximumDepth).value),
    ]

    static let rejected: [Rejected] = [
        // Nothing, or not a value.
        Rejected("", "unexpected end of JSON"),
        Rejected(" \n\t", "unexpected end of JSON"),
        Rejected("nul", "invalid JSON literal"),
        Rejected("tru", "invalid JSON literal"),
        Rejected("fals", "invalid JSON literal"),
        Rejected("nUll", "invalid JSON literal"),
        Rejected("True", "invalid JSON value"),
        Rejected("undefined", "invalid JSON value"),
        Rejected("NaN", "invalid JSON value"),
        Rejected("Infinity", "invalid JSON value"),
        Rejected("-Infinity", "invalid JSON value"),
        Rejected("'a'", "invalid JSON value"),
        Rejected("// comment\n1", "invalid JSON value"),
        // A byte-order mark is not JSON (RFC 8259 §8.1 lets a parser ignore it; this one refuses it).
        Rejected(bytes: [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], "invalid JSON value"),
        // Data after the value.
        Rejected("nullx", "unexpected data after the JSON value"),
        Rejected("{} x", "unexpected data after the JSON value"),
        Rejected("1 2", "unexpected data after the JSON value"),
        Rejected("[] ]", "unexpected data after the JSON value"),
        Rejected(#""a" "b""#, "unexpected data after the JSON value"),
        Rejected("[1] // comment", "unexpected data after the JSON value"),
        Rejected("1\u{0}", "unexpected data after the JSON value"),
        Rejected("\u{0C}1", "invalid JSON value"),
        Rejected("1\u{0C}", "unexpected data after the JSON value"),
        Rejected("\u{A0}1", "invalid JSON value"),
        // Numbers: no leading zeros, plus sign, bare dot or exponent, hex.
        Rejected("01", "unexpected data after the JSON value"),
        Rejected("-01", "unexpected data after the JSON value"),
        Rejected("00", "unexpected data after the JSON value"),
        Rejected("0x10", "unexpected data after the JSON value"),
        Rejected("1_000", "unexpected data after the JSON value"),
        Rejected("-", "invalid JSON value"),
        Rejected("+1", "invalid JSON value"),
        Rejected(".5", "invalid JSON value"),
        Rejected("- 1", "invalid JSON value"),
        Rejected("1.", "invalid JSON number"),
        Rejected("1.e5", "invalid JSON number"),
        Rejected("1e", "invalid JSON number"),
        Rejected("1e+", "invalid JSON number"),
        Rejected("1E-x", "invalid JSON number"),
        // Strings.
        Rejected(#""abc"#, "unterminated string"),
        Rejected(#""\"#, "unterminated string"),
        Rejected(#""\x41""#, "invalid escape in a string"),
        Rejected(#""\U0041""#, "invalid escape in a string"),
        Rejected(#""\'""#, "invalid escape in a string"),
        Rejected(#""\u12""#, "invalid \\u escape"),
        Rejected(#""\u12G4""#, "invalid \\u escape"),
        Rejected(#""\u""#, "invalid \\u escape"),
        Rejected("\"a\tb\"", "control character in a string"),
        Rejected("\"a\nb\"", "control character in a string"),
        Rejected("\"\u{0}\"", "control character in a string"),
        Rejected("\"\u{1F}\"", "control character in a string"),
        // Lone surrogates: a high one alone, at the end, before another high one or a plain character; a low one
        // alone or first.
        Rejected(#""\uD800""#, "unpaired surrogate in a string"),
        Rejected(#""\uD83Dx""#, "unpaired surrogate in a string"),
        Rejected(#""\uD83D\n""#, "unpaired surrogate in a string"),
        Rejected(#""\uD800\uD800""#, "unpaired surrogate in a string"),
        Rejected(#""\uD800\u0041""#, "unpaired surrogate in a string"),
        Rejected(#""\uDC00""#, "unpaired surrogate in a string"),
        Rejected(#""\uDE00\uD83D""#, "unpaired surrogate in a string"),
        Rejected(#""\uD83D\uDE0""#, "invalid \\u escape"),
        // Invalid UTF-8: a stray continuation byte, 0xFF, an overlong encoding, a truncated sequence, an encoded
        // surrogate (CESU-8), a code point above U+10FFFF; in a key as in a value. Outside a string, any
        // non-ASCII byte is simply not JSON.
        Rejected(bytes: [0x22, 0x80, 0x22], "invalid UTF-8 in a string"),
        Rejected(bytes: [0x22, 0xFF, 0x22], "invalid UTF-8 in a string"),
        Rejected(bytes: [0x22, 0xC0, 0xAF, 0x22], "invalid UTF-8 in a string"),
        Rejected(bytes: [0x22, 0xE0, 0x80, 0xAF, 0x22], "invalid UTF-8 in a string"),
        Rejected(bytes: [0x22, 0xE2, 0x82, 0x22], "invalid UTF-8 in a string"),
        Rejected(bytes: [0x22, 0xE2, 0x82], "unterminated string"),
        Rejected(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], "invalid UTF-8 in a string"),
        Rejected(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "invalid UTF-8 in a string"),
        Rejected(bytes: [0x22, 0x61, 0x5C, 0x6E, 0xFF, 0x22], "invalid UTF-8 in a string"),
        Rejected(bytes: Array(#"{""#.utf8) + [0xFE] + Array(#"":1}"#.utf8), "invalid UTF-8 in a string"),
        Rejected(bytes: [0xC3, 0xA9], "invalid JSON value"),
        Rejected(bytes: [0x5B, 0xFF, 0x5D], "invalid JSON value"),
        // Arrays.
        Rejected("[", "unexpected end of JSON"),
        Rejected("[1", "unexpected end of JSON"),
        Rejected("[1,", "unexpected end of JSON"),
        Rejected("[1,]", "invalid JSON value"),
        Rejected("[,1]", "invalid JSON value"),
        Rejected("[1 2]", "expected ',' or ']'"),
        Rejected("[1:2]", "expected ',' or ']'"),
        Rejected("[1}", "expected ',' or ']'"),
        Rejected("]", "invalid JSON value"),
        // Objects.
        Rejected("{", "expected a string key"),
        Rejected("{a:1}", "expected a string key"),
        Rejected("{'a':1}", "expected a string key"),
        Rejected("{1:1}", "expected a string key"),
        Rejected(#"{"a":1,}"#, "expected a string key"),
        Rejected(#"{,"a":1}"#, "expected a string key"),
        Rejected(#"{"a" 1}"#, "expected ':'"),
        Rejected(#"{"a"}"#, "expected ':'"),
        Rejected(#"{"a"="#, "expected ':'"),
        Rejected(#"{"a":}"#, "invalid JSON value"),
        Rejected(#"{"a":"#, "unexpected end of JSON"),
        Rejected(#"{"a":1"#, "unexpected end of JSON"),
        Rejected(#"{"a":1 "b":2}"#, "expected ',' or '}'"),
        Rejected(#"{"a":1]"#, "expected ',' or '}'"),
        Rejected("}", "invalid JSON value"),
        // One level past the limit, and far past it (no stack overflow: the limit stops it first).
        Rejected(nestedArrays(JSONParser.maximumDepth + 1).text, "JSON nested deeper than 64 levels"),
        Rejected(String(repeating: "[", count: 100_000), "JSON nested deeper than 64 levels"),
        Rejected(String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65),
                 "JSON nested deeper than 64 levels"),
    ]

    /// Bytes as Swift would spell them, for test names and failure messages.
    static func printable(_ bytes: [UInt8]) -> String {
        let shown = bytes.count > 80 ? Array(bytes.prefix(80)) : bytes
        var text = ""
        for byte in shown {
            switch byte {
            case 0x20..<0x7F where byte != UInt8(ascii: "\\"): text.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                text += "\\x" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return bytes.count > 80 ? text + "… (\(bytes.count) bytes)" : text
    }
}
