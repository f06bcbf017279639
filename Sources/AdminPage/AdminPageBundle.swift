import Crypto
import Foundation

/// One file of the admin page as it is served.
public struct AdminPageAsset: Sendable {
    /// The file's name in Sources/AdminPage/Assets (`app.js`).
    public let name: String
    /// The name it is served under: `app.<16 hex digits of SHA-256>.js`; `index.html` keeps its name.
    public let servedName: String
    public let contentType: String
    /// The file with its references to other files rewritten to their served names.
    public let bytes: [UInt8]
}

/// The admin page (index.html and its CSS and JavaScript modules) with content-hashed file names, so that
/// every asset can be cached for a year and a new build is still seen at once: index.html is served at
/// `/app` without caching and names the assets by their hashes.
///
/// The hashes are computed when the bundle is built (once per process, at start), from the bytes served, so a
/// name can never disagree with its content and the build needs no step of its own. A file that references
/// another (`import … from "./api.js"`, `href="/app/assets/style.css"`) is hashed after its references were
/// rewritten to the other file's hashed name: a change anywhere changes the names of everything that leads to
/// it, so a cached module never imports a stale one.
public struct AdminPageBundle: Sendable {
    /// Where the assets are served; index.html is served at `/app`.
    public static let assetPath = "/app/assets/"
    public static let indexName = "index.html"

    public let index: AdminPageAsset
    /// Every file but index.html, by served name.
    public let assets: [String: AdminPageAsset]

    public enum BundleError: Error, Equatable, CustomStringConvertible {
        case missingIndex
        case unknownFileType(String)
        case unknownReference(file: String, reference: String)
        case referenceCycle([String])

        public var description: String {
            switch self {
            case .missingIndex: return "the admin page has no index.html"
            case .unknownFileType(let name): return "\(name): no content type for this extension"
            case .unknownReference(let file, let reference): return "\(file) references \(reference), which is not an asset"
            case .referenceCycle(let names): return "the admin page's files reference each other in a cycle: \(names.joined(separator: ", "))"
            }
        }
    }

    /// The page compiled into this binary (Sources/AdminPage/Assets).
    public static func compiledIn() throws -> AdminPageBundle {
        try AdminPageBundle(files: AdminPageFiles.all)
    }

    /// Builds the bundle from source files (name, bytes); names are flat (no folders).
    public init(files: [(name: String, bytes: [UInt8])]) throws {
        var sources: [String: String] = [:]
        for file in files {
            _ = try Self.contentType(of: file.name)
            sources[file.name] = String(decoding: file.bytes, as: UTF8.self)
        }
        guard let indexSource = sources.removeValue(forKey: Self.indexName) else { throw BundleError.missingIndex }

        var dependencies: [String: Set<String>] = [:]
        for (name, text) in sources {
            dependencies[name] = try Self.references(in: text, of: name, known: Set(sources.keys))
        }
        // Hash in dependency order: a file once every file it references has its served name.
        var served: [String: AdminPageAsset] = [:]
        while served.count < sources.count {
            let ready = sources.keys.filter { served[$0] == nil && dependencies[$0]!.allSatisfy { served[$0] != nil } }
            guard !ready.isEmpty else {
                throw BundleError.referenceCycle(sources.keys.filter { served[$0] == nil }.sorted())
            }
            for name in ready {
                let bytes = Array(Self.rewrite(sources[name]!, references: dependencies[name]!, served: served).utf8)
                served[name] = AdminPageAsset(
                    name: name, servedName: Self.hashedName(name, bytes: bytes),
                    contentType: try Self.contentType(of: name), bytes: bytes)
            }
        }
        let indexReferences = try Self.references(in: indexSource, of: Self.indexName, known: Set(sources.keys))
        index = AdminPageAsset(
            name: Self.indexName, servedName: Self.indexName, contentType: try Self.contentType(of: Self.indexName),
            bytes: Array(Self.rewrite(indexSource, references: indexReferences, served: served).utf8))
        assets = Dictionary(uniqueKeysWithValues: served.values.map { ($0.servedName, $0) })
    }

    /// The served name of a source file (`app.js` → `app.<hash>.js`), for tests and links.
    public func servedName(of name: String) -> String? {
        name == Self.indexName ? Self.indexName : assets.values.first { $0.name == name }?.servedName
    }

    // MARK: - References

    /// How a file names another: relative (`"./api.js"`, between JavaScript modules and from CSS) or absolute
    /// (`"/app/assets/style.css"`, from index.html), in double or single quotes.
    private static let prefixes = ["./", assetPath]
    private static let quotes: [Character] = ["\"", "'"]

    /// The files `text` references. A quoted `./…` or `/app/assets/…` naming no file is an error, so a typo
    /// fails at start (and in the tests) instead of as a 404 in a browser.
    static func references(in text: String, of file: String, known: Set<String>) throws -> Set<String> {
        var found: Set<String> = []
        for quote in quotes {
            for prefix in prefixes {
                let opening = "\(quote)\(prefix)"
                var rest = text[...]
                while let start = rest.range(of: opening) {
                    let afterOpening = rest[start.upperBound...]
                    guard let end = afterOpening.firstIndex(of: quote) else { break }
                    let name = String(afterOpening[..<end])
                    // `"./"` alone or a path with folders or a query is not one of ours (nothing of the page uses them).
                    if !name.isEmpty, !name.contains("/"), !name.contains("?") {
                        guard known.contains(name) else { throw BundleError.unknownReference(file: file, reference: prefix + name) }
                        found.insert(name)
                    }
                    rest = afterOpening[afterOpening.index(after: end)...]
                }
            }
        }
        found.remove(file)
        return found
    }

    private static func rewrite(_ text: String, references: Set<String>, served: [String: AdminPageAsset]) -> String {
        var text = text
        for name in references {
            let hashed = served[name]!.servedName
            for quote in quotes {
                for prefix in prefixes {
                    text = text.replacingOccurrences(of: "\(quote)\(prefix)\(name)\(quote)", with: "\(quote)\(prefix)\(hashed)\(quote)")
                }
            }
        }
        return text
    }

    /// `name.ext` → `name.<first 16 hex digits of SHA-256(bytes)>.ext`: 64 bits, far from any collision among
    /// the versions of one file.
    static func hashedName(_ name: String, bytes: [UInt8]) -> String {
        let digest = SHA256.hash(data: bytes).prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
        guard let dot = name.lastIndex(of: ".") else { return "\(name).\(digest)" }
        return "\(name[..<dot]).\(digest)\(name[dot...])"
    }

    static func contentType(of name: String) throws -> String {
        switch name.split(separator: ".").last {
        case "html": return "text/html; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        default: throw BundleError.unknownFileType(name)
        }
    }
}
