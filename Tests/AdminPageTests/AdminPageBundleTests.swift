import AdminPage
import Foundation
import Testing

@Suite struct AdminPageBundleTests {
    static let assetsFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/AdminPage/Assets")

    static func file(_ name: String, _ text: String) -> (name: String, bytes: [UInt8]) { (name, Array(text.utf8)) }

    static func text(_ asset: AdminPageAsset) -> String { String(decoding: asset.bytes, as: UTF8.self) }

    @Test func theCompiledInPageHasEveryFileOfTheAssetsFolderAndNoOther() throws {
        let bundle = try AdminPageBundle.compiledIn()
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: Self.assetsFolder.path).sorted()
        let served = ([bundle.index.name] + bundle.assets.values.map(\.name)).sorted()
        #expect(served == onDisk)
        for asset in bundle.assets.values {
            let source = try Data(contentsOf: Self.assetsFolder.appendingPathComponent(asset.name))
            #expect(!source.isEmpty)
        }
    }

    @Test func indexNamesEveryModuleAndTheStylesheetByItsHashedName() throws {
        let bundle = try AdminPageBundle.compiledIn()
        let index = Self.text(bundle.index)
        for asset in bundle.assets.values {
            #expect(asset.servedName != asset.name)
            #expect(index.contains("\"/app/assets/\(asset.servedName)\""), "index.html does not name \(asset.servedName)")
            #expect(!index.contains("\"/app/assets/\(asset.name)\""))
        }
    }

    @Test func aModuleImportsItsDependenciesByHashedName() throws {
        let bundle = try AdminPageBundle.compiledIn()
        let app = try #require(bundle.assets.values.first { $0.name == "app.js" })
        let api = try #require(bundle.servedName(of: "api.js"))
        #expect(Self.text(app).contains("from \"./\(api)\""))
        #expect(!Self.text(app).contains("from \"./api.js\""))
    }

    @Test func servedNamesCarryTheirContentTypes() throws {
        let bundle = try AdminPageBundle.compiledIn()
        #expect(bundle.index.contentType == "text/html; charset=utf-8")
        for asset in bundle.assets.values {
            let expected = asset.name.hasSuffix(".js") ? "text/javascript; charset=utf-8"
                : asset.name.hasSuffix(".css") ? "text/css; charset=utf-8" : "image/svg+xml"
            #expect(asset.contentType == expected)
            #expect(asset.servedName.range(of: #"^[a-z-]+\.[0-9a-f]{16}\.(js|css|svg)$"#, options: .regularExpression) != nil)
        }
    }

    @Test func changingAModuleChangesTheNameOfEveryModuleThatLeadsToIt() throws {
        let index = Self.file("index.html", #"<script type="module" src="/app/assets/app.js"></script>"#)
        let app = Self.file("app.js", #"import { a } from "./a.js";"#)
        let a = Self.file("a.js", #"import { b } from './b.js'; export const a = 1;"#)
        let other = Self.file("other.js", "export const other = 1;")
        let before = try AdminPageBundle(files: [index, app, a, Self.file("b.js", "export const b = 1;"), other])
        let after = try AdminPageBundle(files: [index, app, a, Self.file("b.js", "export const b = 2;"), other])
        for name in ["b.js", "a.js", "app.js"] {
            #expect(before.servedName(of: name) != after.servedName(of: name), "\(name) kept its name")
        }
        #expect(before.servedName(of: "other.js") == after.servedName(of: "other.js"))
        #expect(Self.text(after.index).contains("/app/assets/\(after.servedName(of: "app.js")!)"))
        let rewritten = Self.text(after.assets[after.servedName(of: "a.js")!]!)
        #expect(rewritten.contains("'./\(after.servedName(of: "b.js")!)'"))
    }

    @Test func theSameFilesGiveTheSameNamesInEveryProcess() throws {
        let files = [Self.file("index.html", #"<link href="/app/assets/s.css">"#), Self.file("s.css", "body{}")]
        #expect(try AdminPageBundle(files: files).servedName(of: "s.css") == AdminPageBundle(files: files).servedName(of: "s.css"))
    }

    @Test func aReferenceToAMissingFileIsRefused() {
        let files = [Self.file("index.html", ""), Self.file("app.js", #"import { x } from "./typo.js";"#)]
        #expect(throws: AdminPageBundle.BundleError.unknownReference(file: "app.js", reference: "./typo.js")) {
            try AdminPageBundle(files: files)
        }
    }

    @Test func modulesImportingEachOtherAreRefused() {
        let files = [
            Self.file("index.html", ""), Self.file("a.js", #"import "./b.js";"#), Self.file("b.js", #"import "./a.js";"#),
        ]
        #expect(throws: AdminPageBundle.BundleError.referenceCycle(["a.js", "b.js"])) { try AdminPageBundle(files: files) }
    }

    @Test func aFileOfUnknownTypeOrNoIndexIsRefused() {
        #expect(throws: AdminPageBundle.BundleError.unknownFileType("notes.txt")) {
            try AdminPageBundle(files: [Self.file("index.html", ""), Self.file("notes.txt", "")])
        }
        #expect(throws: AdminPageBundle.BundleError.missingIndex) { try AdminPageBundle(files: [Self.file("a.js", "")]) }
    }
}
