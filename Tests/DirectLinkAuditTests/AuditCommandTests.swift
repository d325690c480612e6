import DirectLinkAudit
import Foundation
import Testing

/// The CLI an auditor runs: exit status and the first bad record, as printed.
struct AuditCommandTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try CrashTests.binary()
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func verifyExitsZeroOnAGoodLogAndOneNamingTheFirstBadRecord() throws {
        let directory = try Fixture.populatedLog(exchanges: 3)
        let trust = ["--trust", Fixture.path("Fixtures/pki/ca-bundle.pem"), "--crl", Fixture.path("Fixtures/pki/crls.pem")]
        let good = try Self.run(["audit", "verify", directory.path] + trust)
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("6 records, 2 checkpoints") && good.output.contains("3 inbound signatures verified"))
        var editor = try SegmentEditor(path: try Fixture.segmentPaths(directory)[0])
        editor.frames.swapAt(3, 4)
        try editor.save()
        let bad = try Self.run(["audit", "verify", directory.path] + trust)
        #expect(bad.status == 1)
        #expect(bad.output.contains("FAIL") && bad.output.contains("recordIndex at record 3"), "\(bad.output)")
    }

    @Test func exportThenVerifyExportThroughTheCLI() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        let out = try Fixture.temporaryDirectory().appendingPathComponent("bundle").path
        let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        let export = try Self.run(["audit", "export", "--dir", directory.path, "--corp", "CORPA001", "--from", today, "--to", today, out])
        #expect(export.status == 0 && export.output.contains("exported 4 records"), "\(export.output)")
        let check = try Self.run(["audit", "verify-export", out, "--trust", Fixture.path("Fixtures/pki/ca-bundle.pem")])
        #expect(check.status == 0 && check.output.contains("2 inbound signatures verified"), "\(check.output)")
        let prove = try Self.run(["audit", "prove", "--dir", directory.path, "--corp", "CORPA001", "--serial", "S1001"])
        #expect(prove.status == 0 && prove.output.contains("\"leafIndex\" : 3"), "\(prove.output)")
        let consistency = try Self.run(["audit", "consistency", "--dir", directory.path, "2", "4"])
        #expect(consistency.status == 0 && consistency.output.contains("\"proof\""), "\(consistency.output)")
    }

    /// Exit 1 when checkpoints.log is gone; `--allow-uncovered` (a copy of a live log) makes it the note it was.
    @Test func verifyFailsOnUncoveredRecordsUnlessAllowed() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("checkpoints.log"))
        let strict = try Self.run(["audit", "verify", directory.path])
        #expect(strict.status == 1 && strict.output.contains("FAIL") && strict.output.contains("checkpointBehindLog at record 0"),
                "\(strict.output)")
        let live = try Self.run(["audit", "verify", directory.path, "--allow-uncovered"])
        #expect(live.status == 0 && live.output.contains("4 newest records are not yet covered"), "\(live.output)")
    }

    @Test func verifyExportFailsNamingAnEditedManifestField() throws {
        let (_, output, manifest) = try ExportTests.bundle()
        var edited = manifest
        edited.entries[1].retCode = "0000" == manifest.entries[1].retCode ? "1001" : "0000"
        try JSONEncoder().encode(edited).write(to: output.appendingPathComponent(AuditExport.manifest))
        let check = try Self.run(["audit", "verify-export", output.path])
        #expect(check.status == 1 && check.output.contains("FAIL") && check.output.contains("entry 1 field retCode"), "\(check.output)")
    }

    /// Without `--dir`, `prove` and `consistency` read the log of the daemon that `--config` configures
    /// (`audit.directory`), as an operator runs them from the project home.
    @Test func proveAndConsistencyFindTheDaemonsLogThroughItsConfiguration() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        let home = try Fixture.temporaryDirectory()
        try FileManager.default.createDirectory(at: home.appendingPathComponent("conf"), withIntermediateDirectories: true)
        let shipped = try String(contentsOfFile: Fixture.path("conf/directlink.json"), encoding: .utf8)
        let configuration = shipped.replacingOccurrences(of: "\"audit\": {", with: "\"audit\": {\n    \"directory\": \"\(directory.path)\",")
        #expect(configuration != shipped)
        let config = home.appendingPathComponent("conf/directlink.json").path
        try configuration.write(toFile: config, atomically: true, encoding: .utf8)
        let prove = try Self.run(["audit", "prove", "--config", config, "--corp", "CORPA001", "--serial", "S1001"])
        #expect(prove.status == 0 && prove.output.contains("\"leafIndex\" : 3"), "\(prove.output)")
        let consistency = try Self.run(["audit", "consistency", "--config", config, "2", "4"])
        #expect(consistency.status == 0 && consistency.output.contains("\"proof\""), "\(consistency.output)")
        let missing = try Self.run(["audit", "consistency", "--config", home.appendingPathComponent("none.json").path, "2", "4"])
        #expect(missing.status != 0 && missing.output.contains("pass --dir"), "\(missing.output)")
    }
}
