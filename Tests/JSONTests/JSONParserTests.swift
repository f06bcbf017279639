import Testing

import JSON

/// The parser against the table of JSONDocuments: the exact value of every accepted document, the exact message
/// of every rejected one.
@Suite struct JSONParserTests {
    @Test(arguments: JSONDocuments.accepted)
    func anAcceptedDocumentParsesToItsExactValue(_ document: JSONDocuments.Accepted) throws {
        #expect(try JSONParser.parse(document.bytes) == document.expected)
    }

    @Test(arguments: JSONDocuments.rejected)
    func aRejectedDocumentFailsWithItsExactMessage(_ document: JSONDocuments.Rejected) {
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(document.bytes) }
        #expect(error?.message == document.expected)
    }

    @Test func objectsKeepTheirKeysInTheOrderSentAndADuplicateInThePlaceOfItsFirstOccurrence() throws {
        guard case .object(let object) = try JSONParser.parse(Array(#"{"z":1,"a":2,"m":3,"a":4,"b":5}"#.utf8)) else {
            Issue.record("not an object")
            return
        }
        #expect(object.keys == ["z", "a", "m", "b"])
        #expect(object.count == 4)
        #expect(object.members.map(\.key) == ["z", "a", "m", "b"])
        #expect(object["a"] == .number("4"))
    }

    @Test func removingAMemberForgetsItsPlaceAndAddingItAgainPutsItLast() {
        var object = JSONObject()
        object["a"] = .null
        object["b"] = .bool(true)
        object["a"] = nil
        #expect(object.keys == ["b"])
        #expect(object["a"] == nil)
        object["a"] = .string("again")
        #expect(object.keys == ["b", "a"])
        object["absent"] = nil
        #expect(object.keys == ["b", "a"])
    }

    @Test func everyTypeHasTheNameMessagesUse() throws {
        let document = try JSONParser.parse(Array(#"[null,true,1,"s",[],{}]"#.utf8))
        guard case .array(let values) = document else {
            Issue.record("not an array")
            return
        }
        #expect(values.map(\.typeName) == ["null", "boolean", "number", "string", "array", "object"])
    }

    @Test func everyMessageTheParserGivesHasARowInTheTable() {
        // Every `fail(...)` of JSONValue.swift: a new message without a row (or a row lost) fails here.
        let messages = Set(JSONDocuments.rejected.map(\.expected))
        #expect(messages == [
            "unexpected end of JSON", "invalid JSON literal", "invalid JSON value", "unexpected data after the JSON value",
            "invalid JSON number", "unterminated string", "invalid escape in a string", "invalid \\u escape",
            "control character in a string", "unpaired surrogate in a string", "invalid UTF-8 in a string",
            "expected ',' or ']'", "expected a string key", "expected ':'", "expected ',' or '}'",
            "JSON nested deeper than 64 levels",
        ])
    }
}
