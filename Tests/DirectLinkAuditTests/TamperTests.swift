@testable import DirectLinkAudit
import DirectLinkCrypto
import Foundation
import Testing

/// Every form of tampering the issue lists, each caught with its precise code and position.
/// The log: 6 request/response pairs = records 0…11, checkpoints 0, 1, 2 at sizes 4, 8, 12.
struct TamperTests {
    static func verify(_ directory: URL) throws -> AuditVerifier.Summary {
        try AuditVerifier(trust: Fixture.trust()).verify(directory: directory)
    }

    static func expectFailure(_ directory: URL, _ code: AuditError.Code, record: UInt64?, checkpoint: Int?,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try verify(directory)
            Issue.record("verify passed a tampered log", sourceLocation: sourceLocation)
        } catch let error as AuditError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.recordIndex == record, "\(error)", sourceLocation: sourceLocation)
            #expect(error.checkpointIndex == checkpoint, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    static func log() throws -> (URL, SegmentEditor) {
        let directory = try Fixture.populatedLog(exchanges: 6)
        let segments = try Fixture.segmentPaths(directory)
        guard segments.count == 1, let only = segments.first else { throw FixtureError("expected one segment") }
        return (directory, try SegmentEditor(path: only))
    }

    @Test func untouchedLogVerifies() throws {
        let (directory, _) = try Self.log()
        let summary = try Self.verify(directory)
        #expect(summary == AuditVerifier.Summary(records: 12, checkpoints: 3, inboundSignaturesChecked: 6, inboundRejected: 0,
                                                  recordsAfterLastCheckpoint: 0,
                                                  auditCertificateFingerprint: try Fixture.auditCertificate().fingerprintSHA256))
    }

    @Test func changedByteIsCaughtByItsChecksum() throws {
        var (directory, editor) = try Self.log()
        editor.flipByte(inFrame: 5, recomputeChecksum: false)
        try editor.save()
        Self.expectFailure(directory, .recordChecksum, record: 5, checkpoint: nil)
    }

    @Test func changedByteWithRecomputedChecksumBreaksTheCoveringCheckpoint() throws {
        var (directory, editor) = try Self.log()
        editor.flipByte(inFrame: 5, recomputeChecksum: true)
        try editor.save()
        // Records 4..<8 are what checkpoint 1 newly covers: the change is located to that range.
        Self.expectFailure(directory, .checkpointRoot, record: 4, checkpoint: 1)
    }

    @Test func deletedRecordIsCaughtAtItsPosition() throws {
        var (directory, editor) = try Self.log()
        editor.frames.remove(at: 5)
        try editor.save()
        Self.expectFailure(directory, .recordIndex, record: 5, checkpoint: nil)
    }

    @Test func insertedRecordIsCaughtAtItsPosition() throws {
        var (directory, editor) = try Self.log()
        editor.frames.insert(editor.frames[3], at: 4)
        try editor.save()
        Self.expectFailure(directory, .recordIndex, record: 4, checkpoint: nil)
    }

    @Test func reorderedRecordsAreCaughtAtTheFirstMovedOne() throws {
        var (directory, editor) = try Self.log()
        editor.frames.swapAt(6, 7)
        try editor.save()
        Self.expectFailure(directory, .recordIndex, record: 6, checkpoint: nil)
    }

    @Test func tailCutInsideARecordIsATornTail() throws {
        let (directory, editor) = try Self.log()
        try Data(editor.bytes.dropLast(10)).write(to: URL(fileURLWithPath: editor.path))
        Self.expectFailure(directory, .tornTail, record: 11, checkpoint: nil)
    }

    @Test func tailCutAtARecordBoundaryIsCaughtByTheCheckpoint() throws {
        var (directory, editor) = try Self.log()
        editor.frames.removeLast(2)
        try editor.save()
        Self.expectFailure(directory, .checkpointBeyondLog, record: 10, checkpoint: 2)
    }

    @Test func checkpointWithChangedRootFailsItsSignature() throws {
        let (directory, _) = try Self.log()
        try CheckpointForger.rewrite(directory) { checkpoints in
            let old = checkpoints[1]
            checkpoints[1] = Checkpoint(treeSize: old.treeSize, rootHash: MerkleHash.leaf([1]), timeMilliseconds: old.timeMilliseconds,
                                        signature: old.signature)
        }
        Self.expectFailure(directory, .checkpointSignature, record: nil, checkpoint: 1)
    }

    @Test func checkpointSignedByAnotherKeyIsForged() throws {
        let (directory, _) = try Self.log()
        let contents = try AuditLogReader.read(directory: directory)
        let otherKey = try PrivateKey(pem: Fixture.read("Fixtures/pki/corpa-maker-ec.key"))
        try CheckpointForger.append(try Checkpoint.sign(treeSize: 12, rootHash: contents.tree.rootHash, time: Date(), key: otherKey), to: directory)
        Self.expectFailure(directory, .checkpointSignature, record: nil, checkpoint: 3)
    }

    @Test func genuinelySignedCheckpointForAnotherHistoryContradictsTheEarlierOne() throws {
        let (directory, _) = try Self.log()
        try CheckpointForger.append(try Checkpoint.sign(treeSize: 12, rootHash: MerkleHash.leaf([9]), time: Date(), key: Fixture.auditKey()),
                                    to: directory)
        Self.expectFailure(directory, .checkpointContradiction, record: nil, checkpoint: 3)
    }

    @Test func historyRewrittenAndResignedContradictsTheCheckpointOfTheSameSize() throws {
        var (directory, editor) = try Self.log()
        // Record 3 is an outbound response: no message signature of ours stands in the way.
        editor.flipByte(inFrame: 3, recomputeChecksum: true)
        try editor.save()
        let rewritten = try AuditLogReader.read(directory: directory).tree
        try CheckpointForger.append(try Checkpoint.sign(treeSize: 12, rootHash: rewritten.rootHash, time: Date(), key: Fixture.auditKey()),
                                    to: directory)
        Self.expectFailure(directory, .checkpointContradiction, record: nil, checkpoint: 3)
    }

    @Test func historyRewrittenResignedAndLaterCheckpointsDroppedContradictsTheOldOne() throws {
        var (directory, editor) = try Self.log()
        editor.flipByte(inFrame: 3, recomputeChecksum: true)
        try editor.save()
        let rewritten = try AuditLogReader.read(directory: directory).tree
        let resigned = try Checkpoint.sign(treeSize: 12, rootHash: rewritten.rootHash, time: Date(), key: Fixture.auditKey())
        try CheckpointForger.rewrite(directory) { checkpoints in checkpoints = [checkpoints[0], resigned] }
        // Checkpoint 0 (size 4) signed the old record 3; the re-signed checkpoint 1 matches the new history.
        Self.expectFailure(directory, .checkpointContradiction, record: 0, checkpoint: 0)
    }

    @Test func checkpointGoingBackwardsIsOutOfOrder() throws {
        let (directory, _) = try Self.log()
        let tree = try AuditLogReader.read(directory: directory).tree
        try CheckpointForger.append(try Checkpoint.sign(treeSize: 8, rootHash: tree.rootHash(size: 8), time: Date(), key: Fixture.auditKey()),
                                    to: directory)
        Self.expectFailure(directory, .checkpointOrder, record: nil, checkpoint: 3)
    }

    @Test func inboundMessageThatNoLongerVerifiesIsNamed() throws {
        let directory = try Fixture.temporaryDirectory()
        let log = try Fixture.openLog(directory)
        let signer = try Fixture.makerSigner()
        _ = try log.append(try Fixture.exchange(serial: "S1", signer: signer))
        var bad = try Fixture.exchange(serial: "S2", signer: signer)
        // The payee changed after signing, then the record was written with a correct checksum and checkpoint.
        let text = String(decoding: bad[0].bytes, as: UTF8.self).replacingOccurrences(of: "12500.00", with: "92500.00")
        bad[0].bytes = Array(text.utf8)
        _ = try log.append(bad)
        try log.close()
        Self.expectFailure(directory, .messageSignature, record: 2, checkpoint: nil)
        // Without a trust store the signatures are not checked, and the rest holds.
        let summary = try AuditVerifier(trust: nil).verify(directory: directory)
        #expect(summary.inboundSignaturesChecked == 0 && summary.records == 4)
    }
}

extension TamperTests {
    @Test func auditCertificateOutsideTheTrustStoreIsRefused() throws {
        let directory = try Fixture.temporaryDirectory()
        let log = try Fixture.openLog(directory)
        _ = try log.append([try Fixture.exchange(serial: "O1", signer: Fixture.makerSigner())[1]])  // a response only
        try log.close()
        let foreign = try TrustStore(caBundlePath: Fixture.path("Fixtures/pki/untrusted-ca.pem"), crlPaths: [])
        let error = #expect(throws: AuditError.self) { _ = try AuditVerifier(trust: foreign).verify(directory: directory) }
        #expect(error?.code == .keyRejected)
        #expect(try AuditVerifier(trust: Fixture.trust()).verify(directory: directory).records == 1)
    }

    @Test func replacedAuditCertificateFailsEveryCheckpointSignature() throws {
        let (directory, _) = try Self.log()
        let other = try Fixture.read("Fixtures/pki/bank-signing-ec.pem")
        try Data(other).write(to: directory.appendingPathComponent(AuditLog.certificateFileName))
        Self.expectFailure(directory, .checkpointSignature, record: nil, checkpoint: 0)
    }
}

extension TamperTests {
    /// A whole log forged by someone holding any certificate the CA issued (here a corporation's operator) passes a
    /// trust-store check; only pinning the bank's audit certificate catches it.
    @Test func logSignedByAnotherTrustedCertificateIsCaughtOnlyByThePin() throws {
        let directory = try Fixture.temporaryDirectory()
        let key = try PrivateKey(pem: Fixture.read("Fixtures/pki/corpa-maker-ec.key"))
        let certificate = try Certificate(pem: Fixture.read("Fixtures/pki/corpa-maker-ec.pem"))
        let log = try AuditLog(directory: directory, key: key, certificate: certificate)
        _ = try log.append(try Fixture.exchange(serial: "F1", signer: Fixture.makerSigner()))
        try log.close()
        #expect(try AuditVerifier(trust: Fixture.trust()).verify(directory: directory).records == 2)
        let pinned = try AuditVerifier(trust: Fixture.trust(), auditCertificateFingerprint: Fixture.auditCertificate().fingerprintSHA256)
        let error = #expect(throws: AuditError.self) { _ = try pinned.verify(directory: directory) }
        #expect(error?.code == .keyRejected)
    }
}

extension TamperTests {
    /// A flipped bit anywhere in a segment — header, frame magic, length, body or checksum — never passes and never
    /// crashes the reader. Positions are spread evenly over the file.
    @Test func aFlippedBitAnywhereInASegmentIsCaught() throws {
        let (directory, editor) = try Self.log()
        let original = editor.bytes
        let url = URL(fileURLWithPath: editor.path)
        for position in stride(from: 0, to: original.count, by: max(1, original.count / 300)) {
            var damaged = original
            damaged[position] ^= 0x10
            try Data(damaged).write(to: url)
            #expect(throws: AuditError.self, "flip at byte \(position) passed") {
                _ = try AuditVerifier(trust: nil).verify(directory: directory)
            }
        }
        try Data(original).write(to: url)
        #expect(try AuditVerifier(trust: nil).verify(directory: directory).records == 12)
    }
}

extension TamperTests {
    /// A daemon signs a checkpoint at shutdown, so records no checkpoint covers mean checkpoints were removed.
    @Test func deletedCheckpointsFailUnlessUncoveredRecordsAreAllowed() throws {
        let (directory, _) = try Self.log()
        try FileManager.default.removeItem(at: directory.appendingPathComponent(CheckpointFile.fileName))
        Self.expectFailure(directory, .checkpointBehindLog, record: 0, checkpoint: nil)
        let live = try AuditVerifier(trust: Fixture.trust(), allowUncovered: true).verify(directory: directory)
        #expect(live.records == 12 && live.checkpoints == 0 && live.recordsAfterLastCheckpoint == 12)
    }

    @Test func checkpointsCutBackToAnOlderOneFailAtTheFirstUncoveredRecord() throws {
        let (directory, _) = try Self.log()
        try CheckpointForger.rewrite(directory) { checkpoints in checkpoints = [checkpoints[0]] }
        Self.expectFailure(directory, .checkpointBehindLog, record: 4, checkpoint: 0)
        let live = try AuditVerifier(trust: Fixture.trust(), allowUncovered: true).verify(directory: directory)
        #expect(live.checkpoints == 1 && live.recordsAfterLastCheckpoint == 8)
    }
}

extension TamperTests {
    /// docs/audit.md: messages are re-verified at their record's time, so a CRL issued after a record was received is
    /// not yet valid for it; with the CRLs of the log's whole period OpenSSL picks the one valid at that time.
    @Test func crlsOfTheLogsWholePeriodAreNeeded() throws {
        let directory = try Fixture.temporaryDirectory()
        let log = try Fixture.openLog(directory)
        var exchange = try Fixture.exchange(serial: "C1", signer: Fixture.makerSigner())
        for index in exchange.indices { exchange[index].receivedAtMicroseconds -= 3_600_000_000 }  // an hour ago
        _ = try log.append(exchange)
        try log.close()
        let newer = try Self.freshIntermediateCRL()
        let onlyNewer = try TrustStore(caBundlePath: Fixture.path("Fixtures/pki/ca-bundle.pem"),
                                       crlPaths: [Fixture.path("Fixtures/pki/crl/root.crl.pem"), newer])
        let error = #expect(throws: AuditError.self) { _ = try AuditVerifier(trust: onlyNewer).verify(directory: directory) }
        #expect(error?.code == .messageSignature && error?.recordIndex == 0, "\(String(describing: error))")
        #expect(error?.reason.contains("CRL is not yet valid") == true, "\(String(describing: error))")
        let wholePeriod = try TrustStore(caBundlePath: Fixture.path("Fixtures/pki/ca-bundle.pem"),
                                         crlPaths: [Fixture.path("Fixtures/pki/crls.pem"), newer])
        #expect(try AuditVerifier(trust: wholePeriod).verify(directory: directory).inboundSignaturesChecked == 1)
    }

    /// A CRL of the issuing CA with thisUpdate now (openssl ca -gencrl, nothing revoked).
    static func freshIntermediateCRL() throws -> String {
        let folder = try Fixture.temporaryDirectory()
        try Data().write(to: folder.appendingPathComponent("index.txt"))
        let config = "[ca]\ndefault_ca = CA_default\n[CA_default]\ndatabase = \(folder.path)/index.txt\ndefault_md = sha256\ndefault_crl_days = 30\n"
        try Data(config.utf8).write(to: folder.appendingPathComponent("ca.cnf"))
        let output = folder.appendingPathComponent("new.crl.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["ca", "-gencrl", "-config", folder.appendingPathComponent("ca.cnf").path,
                             "-keyfile", Fixture.path("Fixtures/pki/intermediate-ca.key"), "-cert", Fixture.path("Fixtures/pki/intermediate-ca.pem"),
                             "-out", output]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FixtureError("openssl ca -gencrl failed") }
        return output
    }
}
