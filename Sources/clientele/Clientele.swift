import ArgumentParser

/// `clientele`: one executable, three kinds of process (serve, worker, one-shot commands).
/// The entry point is synchronous on purpose: `serve` must fork before any thread exists.
@main
struct Clientele: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Customer management admin API (Medusa v1 compatible) on PostgreSQL.",
        subcommands: [Migrate.self, Serve.self, Worker.self, User.self, Seed.self, Secrets.self, Export.self, Import.self])

    /// ArgumentParser's own `main`, except that under LOG_FORMAT=json a command line it refuses is reported as
    /// one JSON error line like any other stop (help and version output stay text: a person asked for them).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            let message = self.message(for: error)
            if code != .success, !message.isEmpty, LineLogHandler.configuredFormat() == .json {
                CommandOutput.error(message)
                exit(withError: ExitCode(code.rawValue))
            }
            exit(withError: error)
        }
    }
}
