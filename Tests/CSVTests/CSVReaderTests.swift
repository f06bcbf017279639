import Testing

@testable import CSV

@Suite struct CSVReaderTests {
    /// Every record of `text`, fed in pieces of `piece` bytes as an upload arrives.
    func records(_ text: String, piece: Int = .max) throws -> [CSVRecord] {
        let bytes = Array(text.utf8)
        var reader = CSVReader()
        var pending: [UInt8] = []
        var records: [CSVRecord] = []
        var fed = 0
        while true {
            let isFinal = fed == bytes.count
            var offset = 0
            loop: while true {
                let step = try pending.withUnsafeBytes { try reader.next($0, from: offset, isFinal: isFinal) }
                switch step {
                case .record(let record, let end): records.append(record); offset = end
                case .blank(let end): offset = end
                case .needMore, .end: break loop
                }
            }
            pending.removeFirst(offset)
            if isFinal { return records }
            let next = min(bytes.count, fed + piece)
            pending += bytes[fed..<next]
            fed = next
        }
    }

    func error(_ text: String) -> CSVReadError? {
        do {
            _ = try records(text)
            return nil
        } catch let error as CSVReadError {
            return error
        } catch {
            return nil
        }
    }

    @Test func recordsEndWithCRLFOrLFOrCRAndCarryTheirLineNumber() throws {
        let read = try records("email,first_name\r\na@x.io,Ada\nb@x.io,Bob\rc@x.io,Cy")
        #expect(read == [
            CSVRecord(cells: ["email", "first_name"], line: 1), CSVRecord(cells: ["a@x.io", "Ada"], line: 2),
            CSVRecord(cells: ["b@x.io", "Bob"], line: 3), CSVRecord(cells: ["c@x.io", "Cy"], line: 4),
        ])
    }

    @Test func aQuotedCellMaySpanLinesAndTheRecordKeepsItsFirstLineNumber() throws {
        let read = try records("h1,h2\r\n\"two\r\nlines\",x\r\n\"three\nmore\nlines\",y\r\nlast,z\r\n")
        #expect(read.map(\.line) == [1, 2, 4, 7])
        #expect(read[1].cells == ["two\r\nlines", "x"])
        #expect(read[2].cells == ["three\nmore\nlines", "y"])
    }

    @Test func doubledQuotesCommasAndEmptyCells() throws {
        let read = try records("a,\"say \"\"hi\"\", ok\",,\"\"\r\n")
        #expect(read == [CSVRecord(cells: ["a", "say \"hi\", ok", "", ""], line: 1)])
        #expect(try records("a,b,\n") == [CSVRecord(cells: ["a", "b", ""], line: 1)])
        #expect(try records("a,b,") == [CSVRecord(cells: ["a", "b", ""], line: 1)])
    }

    @Test func emptyLinesAreSkippedButCounted() throws {
        let read = try records("h\r\n\r\na\r\n\n\nb\r\n")
        #expect(read == [CSVRecord(cells: ["h"], line: 1), CSVRecord(cells: ["a"], line: 3), CSVRecord(cells: ["b"], line: 6)])
    }

    @Test func anyPieceSizeGivesTheSameRecords() throws {
        let text = "email,name\r\n\"é@x.io\",\"multi\r\nline, \"\"quoted\"\"\"\r\nb@x.io,Zoë\r\n\r\nc@x.io,\"\"\r"
        let whole = try records(text)
        #expect(whole.count == 4)
        for piece in 1...9 { #expect(try records(text, piece: piece) == whole, "piece \(piece)") }
    }

    @Test func malformedInputNamesItsLine() {
        #expect(error("h\r\na\r\n\"never closed\r\nmore") == CSVReadError(line: 3, reason: "a quoted cell is never closed"))
        #expect(error("h\r\n\"closed\"then,x\r\n") == CSVReadError(line: 2, reason: "unexpected text after a closing quote"))
        #expect(error("h\r\nok\r\nbad\u{0}byte\r\n")?.line == 3)
        let invalid: [UInt8] = Array("h\r\nok\r\n".utf8) + [0x66, 0xFF, 0x0D, 0x0A]
        var reader = CSVReader()
        var offset = 0
        var failure: CSVReadError?
        invalid.withUnsafeBytes { bytes in
            do {
                while true {
                    guard case .record(_, let end) = try reader.next(bytes, from: offset, isFinal: true) else { return }
                    offset = end
                }
            } catch let error as CSVReadError { failure = error } catch {}
        }
        #expect(failure == CSVReadError(line: 3, reason: "the file is not valid UTF-8"))
    }

    @Test func aQuoteInsideAnUnquotedCellIsKept() throws {
        #expect(try records("5\" screen,x\r\n") == [CSVRecord(cells: ["5\" screen", "x"], line: 1)])
    }

    @Test func theFormulaGuardComesOffAgain() {
        #expect(CSVReader.unescapingFormula("'=SUM(A1)") == "=SUM(A1)")
        #expect(CSVReader.unescapingFormula("'+1 555") == "+1 555")
        #expect(CSVReader.unescapingFormula("'plain") == "'plain")
        #expect(CSVReader.unescapingFormula("'") == "'")
        #expect(CSVReader.unescapingFormula("=x") == "=x")
    }
}

@Suite struct CSVWriterTests {
    func line(_ cells: [String?]) -> String {
        var writer = CSVWriter()
        for cell in cells { writer.cell(cell) }
        writer.endRecord()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func cellsAreQuotedOnlyWhenTheyMustBe() {
        #expect(line(["a", "b c", nil, ""]) == "a,b c,,\"\"\r\n")
        #expect(line(["say \"hi\"", "x,y", "two\nlines", "cr\rhere"]) == "\"say \"\"hi\"\"\",\"x,y\",\"two\nlines\",\"cr\rhere\"\r\n")
    }

    @Test func cellsThatWouldStartAFormulaArePrefixed() {
        #expect(line(["=1+2", "+1 555", "-3", "@SUM(A1)", "\tx", "\rx", "a=b"]) == "'=1+2,'+1 555,'-3,'@SUM(A1),'\tx,\"'\rx\",a=b\r\n")
        #expect(line(["=HYPERLINK(\"http://x\",\"y\")"]) == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n")
    }

    @Test func whatTheWriterWritesTheReaderReadsBack() throws {
        let cells: [String] = ["=cmd", "plain", "multi\r\nline", "\"quoted\"", "", "+49", "é,ü", "@at"]
        var writer = CSVWriter()
        for cell in cells { writer.cell(cell) }
        writer.endRecord()
        var reader = CSVReader()
        let record = try writer.bytes.withUnsafeBytes { bytes -> CSVRecord? in
            guard case .record(let record, _) = try reader.next(bytes, from: 0, isFinal: true) else { return nil }
            return record
        }
        #expect(record?.cells.map(CSVReader.unescapingFormula) == cells)
    }
}
