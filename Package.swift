// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way:
//   directlink (executable) → DirectLinkMessage → {DirectLinkXML, DirectLinkCrypto} → {CLibXML2, COpenSSL}
// Each C library is imported by exactly one Swift module (ArchitectureTests enforces it).
let package = Package(
    name: "DirectLink",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "directlink", targets: ["directlink"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        .target(name: "DirectLinkXML", dependencies: ["CLibXML2"]),
        .target(name: "DirectLinkCrypto", dependencies: ["COpenSSL"]),
        .target(name: "DirectLinkMessage", dependencies: ["DirectLinkXML", "DirectLinkCrypto"]),
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
        .executableTarget(
            name: "directlink",
            dependencies: [
                "DirectLinkMessage",
                "DirectLinkEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "DirectLinkXMLTests", dependencies: ["DirectLinkXML"]),
        .testTarget(name: "DirectLinkCryptoTests", dependencies: ["DirectLinkCrypto"]),
        .testTarget(name: "DirectLinkMessageTests", dependencies: ["DirectLinkMessage"]),
        .testTarget(name: "ArchitectureTests"),
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
    ]
)
