import Foundation
import Testing

/// The ledger logic imports nothing of ours and no database; SQLite's C module is reached only
/// from the engine's two C-API files, internally, so no C type appears in a public signature.
struct LedgerPurityTests {
    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    static func imports(in module: String) throws -> [(file: String, line: String)] {
        let directory = sources.appendingPathComponent(module)
        var result: [(String, String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".swift") {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            for line in text.split(separator: "\n") where line.split(separator: " ").contains("import") && !line.hasPrefix("//") {
                result.append((name, String(line)))
            }
        }
        return result
    }

    @Test func ledgerImportsOnlyTheStandardLibrary() throws {
        for (file, line) in try Self.imports(in: "DirectLinkLedger") {
            #expect(line == "import Synchronization", "\(file): \(line)")
        }
    }

    @Test func sqliteCModuleIsImportedInternallyByTheEngineOnly() throws {
        var importers: [String] = []
        for module in try FileManager.default.contentsOfDirectory(atPath: Self.sources.path) {
            for (file, line) in try Self.imports(in: module) where line.contains("GRDBSQLite") {
                #expect(module == "DirectLinkEngine", "\(module)/\(file) imports GRDBSQLite")
                #expect(line.hasPrefix("internal import"), "\(file) must import GRDBSQLite internally")
                importers.append(file)
            }
        }
        #expect(Set(importers) == ["HotStatement.swift", "RawInsertBaseline.swift"])
    }
}
