// The libFuzzer target of the JSON parser (scripts/fuzz-json.sh, part of `make test`). Not a package target: the
// script compiles this file with Sources/JSON/*.swift and Tests/JSONTests/JSONDocuments.swift into one executable
// with `-sanitize=fuzzer,address`, so the product build never sees it.
#if canImport(Glibc)
import Glibc
#endif

/// For every input the parser accepts: the input was valid UTF-8 (a string's bytes are checked, everything
/// outside strings is ASCII), and writing the value then parsing the text gives the same value, which writes the
/// same text again. A rejected input only has to be rejected without a crash (ASan watches the memory).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONParser.parse(input) else { return 0 }
    guard String(validating: input, as: UTF8.self) != nil else { fatalError("accepted invalid UTF-8") }
    let text = JSONWriter.text(of: value)
    let reparsed: JSONValue
    do {
        reparsed = try JSONParser.parse(Array(text.utf8))
    } catch {
        fatalError("the writer's text does not parse (\(error.message)): \(text)")
    }
    guard reparsed == value else { fatalError("parse, write, parse changed the value: \(text)") }
    guard JSONWriter.text(of: reparsed) == text else { fatalError("writing the same value twice differs: \(text)") }
    return 0
}

/// Called by libFuzzer before it reads its corpus: with JSON_FUZZ_SEED_DIR set, writes every document of the
/// unit tests' table there (accepted and rejected alike), so the run starts from the cases the tests specify.
@_cdecl("LLVMFuzzerInitialize")
public func writeSeedCorpus(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    guard let directory = getenv("JSON_FUZZ_SEED_DIR").map({ String(cString: $0) }) else { return 0 }
    let seeds = JSONDocuments.accepted.map(\.bytes) + JSONDocuments.rejected.map(\.bytes)
    for (number, bytes) in seeds.enumerated() {
        let path = "\(directory)/seed-\(number)"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { fatalError("cannot write \(path)") }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else { fatalError("cannot write \(path)") }
    }
    return 0
}
