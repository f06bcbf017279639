import ArgumentParser

/// `clientele`: one executable, three kinds of process (serve, worker, one-shot commands).
/// The entry point is synchronous on purpose: `serve` must fork before any thread exists.
@main
struct Clientele: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Customer management admin API (Medusa v1 compatible) on PostgreSQL.",
        subcommands: [Migrate.self, Serve.self, Worker.self, User.self, Seed.self, Secrets.self])
}
