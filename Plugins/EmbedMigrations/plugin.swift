import Foundation
import PackagePlugin

/// Compiles the migrations into the target it is applied to (`SQLMigrations`), as the Swift source
/// `EmbeddedMigrations.swift` written by the `EmbedMigrationsTool` executable, so that `clientele migrate` needs
/// no files at run time.
///
/// The files are read through the target's `migrations`, a symbolic link to the top-level `sql/migrations`
/// (which stays where it is). The link is what makes SwiftPM notice a migration added or removed: it plans a
/// build again (and so asks this plugin again) when a target's folder changes, and it follows the link. The
/// target excludes the folder from its sources; each file is an input of the command, so an edit rebuilds too.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = context.package.directoryURL.appending(path: "Sources/\(target.name)/migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
            .map { folder.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) migrations of sql/migrations",
                executable: try context.tool(named: "EmbedMigrationsTool").url,
                arguments: [output.path] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output])
        ]
    }
}
