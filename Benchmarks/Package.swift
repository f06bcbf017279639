// swift-tools-version:6.0
// Benchmarks of Clientele, outside the product build: `make bench-pool` builds this package (its own .build/
// under Benchmarks/); `make build` and `make test` never do.
import PackageDescription

let package = Package(
    name: "clientele-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "clientele", path: ".."),
    ],
    targets: [
        // `make bench-pool`: the pipelined path of `Database` against pgbench on the same point SELECT.
        .executableTarget(
            name: "pool-benchmark",
            dependencies: [.product(name: "Postgres", package: "clientele")],
            path: "Sources/PoolBenchmark"),
    ],
    swiftLanguageModes: [.v6]
)
