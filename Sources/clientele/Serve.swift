import ArgumentParser

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP API: a master that forks workers.")
    func run() throws {}
}
