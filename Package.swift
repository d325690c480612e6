// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way:
//   directlink (executable) → DirectLinkServer (NIO) → DirectLinkGateway (the per-message pipeline)
//     → {DirectLinkEngine (GRDB) → DirectLinkLedger (pure), DirectLinkMessage → {DirectLinkXML, DirectLinkCrypto}}
//     → {CLibXML2, COpenSSL}
// Each C library is imported by exactly one Swift module (ArchitectureTests enforces it).
let package = Package(
    name: "DirectLink",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "directlink", targets: ["directlink"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "DirectLinkXML", dependencies: ["CLibXML2"], exclude: ["README.md"]),
        .target(name: "DirectLinkCrypto", dependencies: ["COpenSSL"], exclude: ["README.md"]),
        .target(name: "DirectLinkMessage", dependencies: ["DirectLinkXML", "DirectLinkCrypto"], exclude: ["README.md"]),
        .target(
            name: "DirectLinkServer",
            dependencies: [
                "DirectLinkMessage", "DirectLinkCrypto", "DirectLinkXML", "DirectLinkGateway", "DirectLinkAudit",
                "DirectLinkEngine", "DirectLinkLedger",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            exclude: ["README.md"]
        ),
        // Engine: pure ledger logic (imports nothing of ours, no GRDB) and the GRDB-backed engine.
        .target(name: "DirectLinkLedger"),
        .target(
            name: "DirectLinkEngine",
            dependencies: [
                "DirectLinkLedger",
                .product(name: "GRDB", package: "GRDB.swift"),
                // GRDB's own SQLite module (not a second one): only HotStatement.swift and RawInsertBaseline.swift import it.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "DirectLinkGateway",
            dependencies: [
                "DirectLinkMessage", "DirectLinkEngine", "DirectLinkLedger", "DirectLinkCrypto", "DirectLinkXML",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            exclude: ["README.md"]
        ),
        .target(name: "DirectLinkAudit", dependencies: ["DirectLinkCrypto", "DirectLinkMessage"]),
        .executableTarget(
            name: "directlink",
            dependencies: [
                "DirectLinkMessage", "DirectLinkServer", "DirectLinkEngine", "DirectLinkGateway", "DirectLinkAudit", "DirectLinkReplay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            linkerSettings: [.linkedLibrary("mimalloc", .when(platforms: [.linux]))]
        ),
        // Scenario replay: golden request/response pairs run in-process or against a daemon (`directlink replay`).
        .target(
            name: "DirectLinkReplay",
            dependencies: [
                "DirectLinkServer", "DirectLinkGateway", "DirectLinkEngine", "DirectLinkLedger", "DirectLinkMessage",
                "DirectLinkCrypto", "DirectLinkXML", "DirectLinkAudit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "DirectLinkReplayTests",
            dependencies: [
                "DirectLinkReplay", "DirectLinkServer", "DirectLinkGateway", "DirectLinkEngine", "DirectLinkLedger", "DirectLinkXML",
                "DirectLinkAudit", "DirectLinkCrypto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "DirectLinkXMLTests", dependencies: ["DirectLinkXML"]),
        .testTarget(name: "DirectLinkCryptoTests", dependencies: ["DirectLinkCrypto"]),
        .testTarget(name: "DirectLinkMessageTests", dependencies: ["DirectLinkMessage"]),
        .testTarget(name: "DirectLinkGatewayTests", dependencies: ["DirectLinkGateway"]),
        // Spawns `directlink serve`, kill -9 under load, restarts, checks every acknowledged payment; then SIGTERM.
        .testTarget(
            name: "DirectLinkDaemonCrashTests",
            dependencies: [
                "DirectLinkServer", "DirectLinkGateway", "DirectLinkEngine", "DirectLinkMessage", "DirectLinkCrypto", "DirectLinkXML",
                "DirectLinkAudit",
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // End-to-end: an in-process Daemon over real mutual TLS on 127.0.0.1, real keys, a fresh database per test.
        .testTarget(
            name: "DirectLinkServerTests",
            dependencies: [
                "DirectLinkServer", "DirectLinkGateway", "DirectLinkEngine", "DirectLinkLedger", "DirectLinkMessage",
                "DirectLinkCrypto", "DirectLinkXML", "DirectLinkAudit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "ArchitectureTests", dependencies: ["DirectLinkMessage"]),
        .testTarget(
            name: "DirectLinkLedgerTests",
            dependencies: ["DirectLinkLedger", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "DirectLinkEngineTests",
            dependencies: ["DirectLinkEngine", "DirectLinkLedger", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Spawns the built `directlink` executable, SIGKILLs it mid-load, reopens and checks.
        .testTarget(name: "DirectLinkEngineCrashTests", dependencies: ["DirectLinkEngine", "DirectLinkLedger"]),
        .testTarget(name: "DirectLinkAuditTests", dependencies: ["DirectLinkAudit", "DirectLinkMessage", "DirectLinkCrypto"]),
    ]
)
