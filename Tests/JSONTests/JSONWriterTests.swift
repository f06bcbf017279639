import Testing

import JSON

/// The writer: the exact bytes it writes, and that what it writes parses back to what it was given.
@Suite struct JSONWriterTests {
    func written(_ build: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter()
        build(&writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func membersAndElementsAreSeparatedByCommasAtEveryLevel() {
        let text = written { writer in
            writer.beginObject()
            writer.key("id")
            writer.string("cus_1")
            writer.key("count")
            writer.int(-42)
            writer.key("flags")
            writer.beginArray()
            writer.bool(true)
            writer.bool(false)
            writer.null()
            writer.beginObject()
            writer.endObject()
            writer.beginArray()
            writer.endArray()
            writer.endArray()
            writer.key(dynamic: "metadata")
            writer.raw(#"{"a": [1, 2]}"#)
            writer.key("missing")
            writer.string(nil)
            writer.key("no_metadata")
            writer.raw(nil)
            writer.endObject()
        }
        #expect(text == #"{"id":"cus_1","count":-42,"flags":[true,false,null,{},[]],"metadata":{"a": [1, 2]},"missing":null,"no_metadata":null}"#)
    }

    @Test func integersAtTheEdgesOfInt() {
        let text = written { writer in
            writer.beginArray()
            writer.int(Int.min)
            writer.int(0)
            writer.int(Int.max)
            writer.endArray()
        }
        #expect(text == "[-9223372036854775808,0,9223372036854775807]")
    }

    @Test func everyControlCharacterIsEscapedAndNothingElseIs() throws {
        var expected = ""
        for byte in 0..<0x20 {
            switch byte {
            case 0x0A: expected += "\\n"
            case 0x0D: expected += "\\r"
            case 0x09: expected += "\\t"
            default: expected += "\\u00" + (byte < 0x10 ? "0" : "1") + String(byte & 0xF, radix: 16)
            }
        }
        let controls = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
        #expect(written { $0.string(controls) } == "\"" + expected + "\"")
        #expect(written { $0.string("\u{08}\u{0C}\u{1B}") } == #""\u0008\u000c\u001b""#)
        #expect(written { $0.string("quote \" backslash \\ slash / del \u{7F}") }
            == "\"quote \\\" backslash \\\\ slash / del \u{7F}\"")
        #expect(try JSONParser.parse(Array(written { $0.string(controls) }.utf8)) == .string(controls))
    }

    /// Responses are `application/json`, never inlined in HTML (the admin page fetches them; its CSP forbids
    /// inline script), so `</script>` and U+2028/U+2029 need no escape and are written as they are.
    @Test func markupAndLineSeparatorsAreWrittenAsTheyAre() {
        #expect(written { $0.string("</script><!--") } == #""</script><!--""#)
        #expect(written { $0.string("a\u{2028}b\u{2029}c") } == "\"a\u{2028}b\u{2029}c\"")
    }

    @Test func nonASCIIIsWrittenAsUTF8NotEscaped() {
        let text = "é 中文 😀 \u{10FFFF}"
        var writer = JSONWriter()
        writer.string(text)
        #expect(writer.bytes == [0x22] + Array(text.utf8) + [0x22])
        #expect(writer.bytes.contains(0xF0))
        #expect(!String(decoding: writer.bytes, as: UTF8.self).contains("\\u"))
    }

    @Test func keysAreEscapedAsStringsAre() {
        let text = written { writer in
            writer.beginObject()
            writer.key(dynamic: "a\"b\n\u{1}é")
            writer.int(1)
            writer.endObject()
        }
        #expect(text == "{\"a\\\"b\\n\\u0001é\":1}")
    }

    /// Every accepted document of the table, written and parsed again, gives the same value; written again, the
    /// same bytes (the fuzzer checks the same on inputs it makes up).
    @Test(arguments: JSONDocuments.accepted)
    func writingAParsedDocumentRoundTrips(_ document: JSONDocuments.Accepted) throws {
        let value = try JSONParser.parse(document.bytes)
        let text = JSONWriter.text(of: value)
        let reparsed = try JSONParser.parse(Array(text.utf8))
        #expect(reparsed == value)
        #expect(JSONWriter.text(of: reparsed) == text)
    }

    @Test func writingNormalisesWhitespaceEscapesAndDuplicateKeys() throws {
        let cases: [(String, String)] = [
            (" [ 1 , { \"a\" : 2 } ] ", #"[1,{"a":2}]"#),
            (#"{"a":1,"b":2,"a":3}"#, #"{"a":3,"b":2}"#),
            (#""\u0041\/\uD83D\uDE00\u00e9""#, "\"A/😀é\""),
            (#""\b\f\u0001""#, #""\u0008\u000c\u0001""#),
            ("[-0, 1E+10, 0.5e-3]", "[-0,1E+10,0.5e-3]"),
        ]
        for (input, output) in cases {
            #expect(JSONWriter.text(of: try JSONParser.parse(Array(input.utf8))) == output, "\(input)")
        }
    }
}
