import Foundation

// Build tool of the EmbedMigrations plugin: `EmbedMigrationsTool OUTPUT FILE...` writes OUTPUT, a Swift source
// that defines `embeddedMigrationFiles`: each FILE's name and exact text, in the order given. The text is
// written as an ordinary string literal with every special character escaped, so the embedded string is
// the file byte for byte (a multi-line literal would normalise line endings and indentation, and so change
// the checksum `migrate` records).

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedMigrationsTool OUTPUT FILE...\n".utf8))
    exit(2)
}

/// `text` as the body of a Swift string literal.
func literal(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count + text.utf8.count / 8)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": escaped += "\\\\"
        case "\"": escaped += "\\\""
        case "\n": escaped += "\\n"
        case "\r": escaped += "\\r"
        case "\t": escaped += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            escaped += "\\u{\(String(scalar.value, radix: 16))}"
        default: escaped.unicodeScalars.append(scalar)
        }
    }
    return escaped
}

var source = "// Generated at build time from sql/migrations by the EmbedMigrations plugin. Do not edit.\n\n"
source += "let embeddedMigrationFiles: [(name: String, sql: String)] = [\n"
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    guard let bytes = FileManager.default.contents(atPath: path), let text = String(validating: bytes, as: UTF8.self)
    else {
        FileHandle.standardError.write(Data("EmbedMigrationsTool: \(path) is not readable UTF-8\n".utf8))
        exit(1)
    }
    source += "    (\"\(literal(url.lastPathComponent))\", \"\(literal(text))\"),\n"
}
source += "]\n"
do {
    try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("EmbedMigrationsTool: cannot write \(output): \(error)\n".utf8))
    exit(1)
}
