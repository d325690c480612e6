import Foundation
import Testing

/// Each C library is owned by exactly one Swift module. These tests scan `Sources/` and fail
/// when any other module imports a C module, or when the owner imports it publicly.
struct CModuleImportTests {
    static let owners: [String: String] = [
        "CLibXML2": "DirectLinkXML",
        "COpenSSL": "DirectLinkCrypto",
        // SQLite is GRDB's own module; only the engine reaches it (for the raw-insert benchmark baseline).
        "GRDBSQLite": "DirectLinkEngine",
        "SQLite3": "DirectLinkEngine",
    ]

    static var sourcesDirectory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    static func swiftFiles() throws -> [(module: String, url: URL)] {
        let fm = FileManager.default
        var result: [(String, URL)] = []
        for module in try fm.contentsOfDirectory(atPath: sourcesDirectory.path) {
            let dir = sourcesDirectory.appendingPathComponent(module)
            guard let walker = fm.enumerator(at: dir, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where url.pathExtension == "swift" {
                result.append((module, url))
            }
        }
        return result
    }

    @Test func onlyTheOwningModuleImportsEachCModule() throws {
        let files = try Self.swiftFiles()
        #expect(!files.isEmpty)
        for (module, url) in files {
            let text = try String(contentsOf: url, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ").map(String.init)
                guard let importIndex = words.firstIndex(of: "import"), importIndex + 1 < words.count else { continue }
                let imported = words[importIndex + 1]
                guard let owner = Self.owners[imported] else { continue }
                #expect(owner == module, "\(url.lastPathComponent) in \(module) imports \(imported), owned by \(owner)")
                #expect(words.first == "internal" || words.first == "private" || words.first == "fileprivate",
                        "\(url.lastPathComponent) must import \(imported) with internal access so no C type leaks")
            }
        }
    }
}
