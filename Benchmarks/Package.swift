// swift-tools-version:6.0
// Benchmarks of Clientele, outside the product build: `make bench-pool` and `make bench-handoff` build this package (its own .build/
// under Benchmarks/); `make build` and `make test` never do.
import PackageDescription

let package = Package(
    name: "clientele-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "clientele", path: ".."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // `make bench-pool`: the pipelined path of `Database` against pgbench on the same point SELECT.
        .executableTarget(
            name: "pool-benchmark",
            dependencies: [.product(name: "Postgres", package: "clientele")],
            path: "Sources/PoolBenchmark"),
        // `make bench-handoff`: ways to serve GET /admin/customers/:id with Hummingbird over libpq in pipeline
        // mode, differing in which threads a request crosses (README, "Performance").
        .executableTarget(
            name: "handoff-prototypes",
            dependencies: [
                .product(name: "CLibPQ", package: "clientele"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/HandOffPrototypes"),
    ],
    swiftLanguageModes: [.v6]
)
