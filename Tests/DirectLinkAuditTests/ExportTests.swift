@testable import DirectLinkAudit
import Foundation
import Testing

struct ExportTests {
    static let day: TimeInterval = 86_400

    static func bundle() throws -> (log: URL, bundle: URL, manifest: ExportManifest) {
        let directory = try Fixture.populatedLog(exchanges: 4)
        let output = try Fixture.temporaryDirectory().appendingPathComponent("bundle")
        let manifest = try AuditExport.export(directory: directory, corpId: "CORPA001", from: Date() - day, to: Date() + day, output: output)
        return (directory, output, manifest)
    }

    @Test func exportedBundleVerifiesOffline() throws {
        let (_, output, manifest) = try Self.bundle()
        #expect(manifest.entries.count == 8)
        #expect(manifest.treeSize == 8)
        let summary = try AuditExport.verify(bundle: output, trust: Fixture.trust())
        #expect(summary.entries == 8 && summary.inboundSignaturesChecked == 4)
        let fingerprint = try Fixture.auditCertificate().fingerprintSHA256
        #expect(summary.auditCertificateFingerprint == fingerprint)
        #expect(try AuditExport.verify(bundle: output, trust: nil, auditCertificateFingerprint: fingerprint.uppercased()).entries == 8)
        let error = #expect(throws: AuditError.self) {
            try AuditExport.verify(bundle: output, trust: nil, auditCertificateFingerprint: String(repeating: "0", count: 64))
        }
        #expect(error?.code == .keyRejected)
    }

    @Test func exportSelectsByCorporationAndDate() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        let base = try Fixture.temporaryDirectory()
        let other = try AuditExport.export(directory: directory, corpId: "CORPB001", from: Date() - Self.day, to: Date() + Self.day,
                                           output: base.appendingPathComponent("b"))
        #expect(other.entries.isEmpty)
        let earlier = try AuditExport.export(directory: directory, corpId: "CORPA001", from: Date() - 3 * Self.day, to: Date() - Self.day,
                                             output: base.appendingPathComponent("a"))
        #expect(earlier.entries.isEmpty)
    }

    @Test func recordsAfterTheNewestCheckpointAreLeftOutAndCounted() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        do {
            let log = try Fixture.openLog(directory)
            _ = try log.append(try Fixture.exchange(serial: "late", signer: Fixture.makerSigner()))
        }
        let manifest = try AuditExport.export(directory: directory, corpId: "CORPA001", from: Date() - Self.day, to: Date() + Self.day,
                                              output: try Fixture.temporaryDirectory().appendingPathComponent("x"))
        #expect(manifest.entries.count == 4 && manifest.recordsNotYetCheckpointed == 2)
    }

    @Test func changedMessageFileIsCaught() throws {
        let (_, output, manifest) = try Self.bundle()
        let url = output.appendingPathComponent(manifest.entries[2].message)
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: url)
        let error = #expect(throws: AuditError.self) { try AuditExport.verify(bundle: output, trust: nil) }
        #expect(error?.code == .bundleMalformed && error?.recordIndex == 2)
    }

    @Test func changedRecordAndMessageTogetherBreakTheLeafHash() throws {
        let (_, output, manifest) = try Self.bundle()
        let entry = manifest.entries[3]
        let recordURL = output.appendingPathComponent(entry.record)
        var record = try AuditRecord.decode([UInt8](try Data(contentsOf: recordURL))[...]).record
        record.retCode = "9999"
        try Data(record.encode(leafIndex: entry.leafIndex)).write(to: recordURL)
        // proofs.json edited to match, so the metadata check passes and the leaf hash is what catches it.
        var edited = manifest
        edited.entries[3].retCode = "9999"
        try JSONEncoder().encode(edited).write(to: output.appendingPathComponent(AuditExport.manifest))
        let error = #expect(throws: AuditError.self) { try AuditExport.verify(bundle: output, trust: nil) }
        #expect(error?.code == .recordChecksum && error?.recordIndex == 3)
    }

    @Test func changedRecordWithMatchingLeafHashFailsTheProof() throws {
        let (_, output, manifest) = try Self.bundle()
        var edited = manifest
        let entry = manifest.entries[3]
        let recordURL = output.appendingPathComponent(entry.record)
        var record = try AuditRecord.decode([UInt8](try Data(contentsOf: recordURL))[...]).record
        record.retCode = "9999"
        let encoded = record.encode(leafIndex: entry.leafIndex)
        try Data(encoded).write(to: recordURL)
        edited.entries[3].leafHash = hex(MerkleHash.leaf(encoded))
        edited.entries[3].retCode = "9999"  // the manifest agrees with the changed record, so only the proof can tell
        try JSONEncoder().encode(edited).write(to: output.appendingPathComponent(AuditExport.manifest))
        let error = #expect(throws: AuditError.self) { try AuditExport.verify(bundle: output, trust: nil) }
        #expect(error?.code == .proofInvalid && error?.recordIndex == 3)
    }

    /// `proofs.json` is what an auditor reads; each metadata field an entry gives must be the signed record's. Entry 2
    /// is leaf 2, the inbound request S1001.
    @Test(arguments: ["leafIndex", "direction", "corpId", "serialNo", "txCode", "verdict", "retCode", "receivedAt",
                      "connectionId", "peerFingerprint", "correlationId"])
    func editedManifestFieldIsNamed(field: String) throws {
        let (_, output, manifest) = try Self.bundle()
        var edited = manifest
        var entry = edited.entries[2]
        switch field {
        case "leafIndex": entry.leafIndex = 3
        case "direction": entry.direction = "out"
        case "corpId": entry.corpId = "CORPB001"
        case "serialNo": entry.serialNo = "S1003"
        case "txCode": entry.txCode = "PAY.BATCH"
        case "verdict": entry.verdict = "rejected"
        case "retCode": entry.retCode = "1001"
        case "connectionId": entry.connectionId = 8
        case "peerFingerprint": entry.peerFingerprint = String(repeating: "cd", count: 32)
        case "correlationId": entry.correlationId = "c-S1002"
        default: entry.receivedAt = AuditExport.iso(try #require(AuditExport.parseISO(entry.receivedAt)) - 0.001)
        }
        edited.entries[2] = entry
        try JSONEncoder().encode(edited).write(to: output.appendingPathComponent(AuditExport.manifest))
        let error = #expect(throws: AuditError.self) { try AuditExport.verify(bundle: output, trust: nil) }
        #expect(error?.code == .bundleMalformed && error?.recordIndex == 2, "\(String(describing: error))")
        #expect(error?.reason.contains("entry 2 field \(field) is") == true, "\(String(describing: error))")
    }

    /// Bundles written before `connectionId`, `peerFingerprint` and `correlationId` were in the manifest still verify;
    /// the fields are in every record anyway, under the proof.
    @Test func bundleWithoutTheLaterManifestFieldsStillVerifies() throws {
        let (_, output, manifest) = try Self.bundle()
        #expect(manifest.entries.allSatisfy { $0.connectionId == 7 && $0.correlationId?.hasPrefix("c-") == true })
        var older = manifest
        for position in older.entries.indices {
            older.entries[position].connectionId = nil
            older.entries[position].peerFingerprint = nil
            older.entries[position].correlationId = nil
        }
        let encoded = try JSONEncoder().encode(older)
        #expect(!String(decoding: encoded, as: UTF8.self).contains("correlationId"))
        try encoded.write(to: output.appendingPathComponent(AuditExport.manifest))
        #expect(try AuditExport.verify(bundle: output, trust: Fixture.trust()).entries == 8)
    }

    @Test func bundleCorporationOtherThanTheRecordsIsNamed() throws {
        let (_, output, manifest) = try Self.bundle()
        var edited = manifest
        edited.corpId = "CORPB001"
        try JSONEncoder().encode(edited).write(to: output.appendingPathComponent(AuditExport.manifest))
        let error = #expect(throws: AuditError.self) { try AuditExport.verify(bundle: output, trust: nil) }
        #expect(error?.code == .bundleMalformed && error?.recordIndex == 0)
        #expect(error?.reason.contains("entry 0 field corpId") == true, "\(String(describing: error))")
    }

    /// A bundle whose from/to were narrowed after export claims a period its records are not from.
    @Test(arguments: [true, false])
    func recordOutsideTheBundlesRangeIsNamed(narrowFrom: Bool) throws {
        let (_, output, manifest) = try Self.bundle()
        var edited = manifest
        let first = try #require(AuditExport.parseISO(manifest.entries[0].receivedAt))
        if narrowFrom {
            edited.from = AuditExport.iso(first + 0.001)
        } else {
            edited.to = AuditExport.iso(first - 0.001)
        }
        try JSONEncoder().encode(edited).write(to: output.appendingPathComponent(AuditExport.manifest))
        let error = #expect(throws: AuditError.self) { try AuditExport.verify(bundle: output, trust: nil) }
        #expect(error?.code == .bundleMalformed && error?.recordIndex == 0)
        #expect(error?.reason.contains("entry 0 field receivedAt") == true && error?.reason.contains("outside") == true,
                "\(String(describing: error))")
    }

    @Test func forgedCheckpointInTheBundleIsCaught() throws {
        let (_, output, _) = try Self.bundle()
        let url = output.appendingPathComponent(AuditExport.checkpointText)
        let text = String(decoding: try Data(contentsOf: url), as: UTF8.self).replacingOccurrences(of: "\n8\n", with: "\n9\n")
        try Data(text.utf8).write(to: url)
        let error = #expect(throws: AuditError.self) { try AuditExport.verify(bundle: output, trust: nil) }
        #expect(error?.code == .checkpointSignature)
    }

    /// The recipe in docs/audit.md: plain openssl checks the checkpoint signature.
    @Test func opensslVerifiesTheCheckpointSignature() throws {
        let (_, output, _) = try Self.bundle()
        let openssl = "/usr/bin/openssl"
        try #require(FileManager.default.isExecutableFile(atPath: openssl), "openssl CLI needed for the documented recipe")
        let publicKey = output.appendingPathComponent("audit-pub.pem").path
        #expect(try run(openssl, ["x509", "-in", output.appendingPathComponent("bank-audit.pem").path, "-pubkey", "-noout", "-out", publicKey]) == 0)
        #expect(try run(openssl, ["dgst", "-sha256", "-verify", publicKey, "-signature", output.appendingPathComponent("checkpoint.sig").path,
                                  output.appendingPathComponent("checkpoint.txt").path]) == 0)
    }

    /// The CMS recipe in docs/audit.md: `base64 -d | openssl cms -verify -inform DER` checks a `.p7b` of the bundle
    /// and writes out exactly the XML that was signed.
    @Test func opensslVerifiesACMSMessageOfTheBundle() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "openssl CLI needed for the documented recipe")
        let directory = try Fixture.temporaryDirectory()
        let log = try Fixture.openLog(directory)
        let xml = String(decoding: try Fixture.read("Fixtures/messages/corpa/single-payment.xml"), as: UTF8.self)
            .replacingOccurrences(of: "A20261125000003", with: "CMS1")
        let cms = try Fixture.makerSigner().signCMS(Array(xml.utf8))
        var exchange = try Fixture.exchange(serial: "CMS1", signer: Fixture.makerSigner())
        exchange[0].bytes = cms
        _ = try log.append(exchange)
        try log.close()
        let output = try Fixture.temporaryDirectory().appendingPathComponent("bundle")
        let manifest = try AuditExport.export(directory: directory, corpId: "CORPA001", from: Date() - Self.day, to: Date() + Self.day,
                                              output: output)
        #expect(manifest.entries[0].message.hasSuffix(".p7b"))
        #expect(try AuditExport.verify(bundle: output, trust: Fixture.trust()).inboundSignaturesChecked == 1)
        let message = output.appendingPathComponent(manifest.entries[0].message).path
        let content = output.appendingPathComponent("content.xml").path
        let authorities = output.appendingPathComponent("ca-and-crls.pem")
        try Data(try Fixture.read("Fixtures/pki/ca-bundle.pem") + Fixture.read("Fixtures/pki/crls.pem")).write(to: authorities)
        let recipe = "base64 -d '\(message)' | openssl cms -verify -inform DER -CAfile '\(authorities.path)' -crl_check_all -out '\(content)'"
        #expect(try run("/bin/sh", ["-c", recipe]) == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: content)) == Data(xml.utf8))
        // A changed byte of the signed content fails the same recipe.
        var der = try #require(Data(base64Encoded: Data(cms), options: .ignoreUnknownCharacters))
        let at = try #require(der.range(of: Data("CMS1".utf8)))
        der[at.lowerBound] ^= 1
        try der.base64EncodedData(options: [.lineLength64Characters, .endLineWithLineFeed]).write(to: URL(fileURLWithPath: message))
        #expect(try run("/bin/sh", ["-c", recipe]) != 0)
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
