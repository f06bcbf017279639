// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "clientele",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "clientele", targets: ["clientele"]),
        // For the benchmark package in Benchmarks/ only (`make bench-pool`), which the product build never builds.
        .library(name: "Postgres", targets: ["Postgres"]),
        // For Benchmarks/ only: the hand-off prototypes talk to libpq directly.
        .library(name: "CLibPQ", targets: ["CLibPQ"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // libpq, and nothing else: only `Postgres` imports it.
        .systemLibrary(
            name: "CLibPQ",
            path: "Sources/CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // libcurl, for SMTP: only `Mail` imports it.
        .systemLibrary(
            name: "CCurl",
            path: "Sources/CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Typed wrappers for curl's variadic setopt/getinfo, which Swift cannot call.
        .target(name: "CCurlShims", dependencies: ["CCurl"], path: "Sources/CCurlShims"),
        // Mail messages (RFC 5322) and the transports that deliver them: smtp, file, log.
        .target(
            name: "Mail",
            dependencies: [
                "CCurl", "CCurlShims", "BlockingWork",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The job queue in PostgreSQL, the worker that runs it, its maintenance, and the handlers.
        .target(
            name: "Jobs",
            dependencies: [
                "Postgres", "Mail",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.embedInCode("Templates")]
        ),
        // C helpers Swift cannot express (variadic prctl and semctl, atomics in shared memory) and the one
        // monotonic clock.
        .target(name: "CShims", path: "Sources/CShims"),
        // The process's one bounded pool of threads for blocking calls (NIOThreadPool), with the per-process
        // bound on password hashes and the machine-wide one across the workers of `serve` (a System V semaphore,
        // CShims); shared by every module that blocks.
        .target(name: "BlockingWork", dependencies: ["CShims", .product(name: "NIOPosix", package: "swift-nio")]),
        // Counters in memory shared by the processes of `serve`, summed by whichever worker is scraped.
        .target(name: "SharedMetrics", dependencies: ["CShims"]),
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ", "CShims", "BlockingWork",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Passwords",
            dependencies: [
                "BlockingWork",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Prefixed ULIDs (`usr_01H…`), shared by every domain module; no dependencies.
        .target(name: "Identifiers"),
        // RFC 4180 CSV, read (line numbers, strict UTF-8) and written (with the formula-injection guard).
        .target(name: "CSV"),
        // A strict JSON parser and the byte writer the API's responses are made with; no dependencies.
        .target(name: "JSON"),
        // The API's input rules and messages (JSON bodies, emails, passwords, metadata), shared by the routes
        // and by the CSV import, which validates each row with the create route's code.
        .target(name: "Validation", dependencies: ["JSON", "Postgres"]),
        .target(
            name: "Auth",
            dependencies: [
                "Postgres", "Passwords", "Identifiers",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The domain: customers, groups, addresses, their SQL, and the CSV export. Its events are recorded through
        // `SQLEvents` (Postgres), so it knows nothing of the queue that reads them.
        .target(name: "Customers", dependencies: ["Postgres", "Identifiers", "Validation"]),
        // The CSV import: upload staging, the batch importer and its job handler (a job of the queue, hence here
        // and not in the domain).
        .target(
            name: "CustomerImports",
            dependencies: ["Customers", "Postgres", "Identifiers", "Jobs", "JSON", "Validation", "Passwords", "CSV"]),
        // `clientele seed`: bulk fake customers generated server-side; no jobs, so no welcome emails.
        .target(name: "Seeding", dependencies: ["Postgres", "Identifiers"]),
        .target(
            name: "Prefork",
            dependencies: [
                "CShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ]
        ),
        // The admin page (HTML, CSS, JavaScript modules) compiled into the binary, with content-hashed names.
        .target(
            name: "AdminPage",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            resources: [.embedInCode("Assets")]
        ),
        .target(
            name: "AdminAPI",
            dependencies: [
                "Postgres", "Customers", "CustomerImports", "Auth", "Passwords", "SharedMetrics", "Jobs", "AdminPage",
                "JSON", "Validation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // sql/migrations compiled into the binary by a build plugin, so `clientele migrate` works from any folder
        // (Sources/SQLMigrations/migrations links to sql/migrations: see Plugins/EmbedMigrations/plugin.swift).
        .executableTarget(name: "EmbedMigrationsTool"),
        .plugin(name: "EmbedMigrations", capability: .buildTool(), dependencies: ["EmbedMigrationsTool"]),
        .target(name: "SQLMigrations", exclude: ["migrations"], plugins: ["EmbedMigrations"]),
        .executableTarget(
            name: "clientele",
            dependencies: [
                "Postgres", "Customers", "CustomerImports", "Auth", "AdminAPI", "Prefork", "Passwords", "Jobs", "Mail",
                "SharedMetrics", "JSON",
                "Seeding", "SQLMigrations", "BlockingWork",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Shared by the test targets: a fresh (optionally migrated) database per test.
        .target(name: "TestSupport", dependencies: ["Postgres"], path: "Tests/TestSupport"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "SQLMigrations", "TestSupport"]),
        // make_vectors.py wrote the test vectors once (Python's hashlib.scrypt); kept beside them, not built.
        .testTarget(name: "PasswordsTests", dependencies: ["Passwords"], exclude: ["make_vectors.py"]),
        .testTarget(name: "IdentifiersTests", dependencies: ["Identifiers"]),
        .testTarget(name: "BlockingWorkTests", dependencies: ["BlockingWork"]),
        .testTarget(name: "CSVTests", dependencies: ["CSV"]),
        // The parser and writer against a table of documents; scripts/fuzz-json.sh fuzzes the parser with that
        // table as its seed corpus (JSONDocuments.swift is compiled into both).
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        // SharedMetrics and Prefork's scoreboard on their real shared mappings, written and read across fork().
        .testTarget(name: "SharedMemoryTests", dependencies: ["SharedMetrics", "Prefork", "CShims"]),
        .testTarget(
            name: "AuthTests",
            dependencies: [
                "Auth", "Postgres", "Passwords", "Identifiers", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "JobsTests", dependencies: ["Jobs", "Postgres", "Mail", "TestSupport"]),
        .testTarget(name: "AdminPageTests", dependencies: ["AdminPage"]),
        // The admin API in process (HummingbirdTesting), against the real database.
        .testTarget(
            name: "AdminAPITests",
            dependencies: [
                "AdminAPI", "Auth", "Passwords", "Postgres", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
