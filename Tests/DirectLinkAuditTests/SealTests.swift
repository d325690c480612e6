@testable import DirectLinkAudit
import DirectLinkCrypto
import Foundation
import Testing

/// Group seals: records past the newest checkpoint are adopted on open only under a seal that authenticates with the
/// key derived from the audit key, so records someone appends to a stopped daemon's segments are never signed into a
/// later checkpoint.
struct SealTests {
    /// Frames for `records`, numbered from `firstIndex`, exactly as the log writes them, optionally with a seal
    /// chained to `previousMAC`.
    static func frames(_ records: [AuditRecord], firstIndex: UInt64, sealKey: [UInt8]?, previousMAC: [UInt8] = Segment.noSealMAC) -> [UInt8] {
        var out = ByteWriter(capacity: 0)
        var hashes: [[UInt8]] = []
        for (offset, record) in records.enumerated() {
            hashes.append(Segment.appendFrame(to: &out) { record.encode(leafIndex: firstIndex + UInt64(offset), into: &$0) })
        }
        if let sealKey { _ = Segment.appendSeal(to: &out, firstIndex: firstIndex, previousMAC: previousMAC, hashes: hashes, key: sealKey) }
        return out.buffer
    }

    /// The MAC of the last seal in the newest segment (its last 32 bytes after a close).
    static func lastSealMAC(_ directory: URL) throws -> [UInt8] {
        Array(try SegmentEditor(path: try Fixture.segmentPaths(directory).last ?? "").original.suffix(MerkleHash.bytes))
    }

    static func append(_ bytes: [UInt8], toSegmentOf directory: URL) throws -> (path: String, before: Int) {
        let path = try Fixture.segmentPaths(directory).last ?? ""
        let editor = try SegmentEditor(path: path)
        try Data(editor.original + bytes).write(to: URL(fileURLWithPath: path))
        return (path, editor.original.count)
    }

    /// A log left as a crash leaves it: `exchanges` group commits of one exchange each, never closed, no checkpoint.
    static func unclosedLog(exchanges: Int, limits: AuditLimits = .default) throws -> URL {
        let directory = try Fixture.temporaryDirectory()
        let log = try Fixture.openLog(directory, limits: limits)
        let signer = try Fixture.makerSigner()
        for number in 0..<exchanges { _ = try log.append(try Fixture.exchange(serial: "U\(number)", signer: signer)) }
        return directory
    }

    /// A closed log (its final checkpoint covers 4 records) with a well-formed exchange appended without a seal: it
    /// is cut on open, reported, and the next checkpoint still covers 4.
    @Test func recordsAppendedToAStoppedLogWithoutASealAreCutNotSigned() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        let added = Self.frames(try Fixture.exchange(serial: "X1", signer: Fixture.makerSigner()), firstIndex: 4, sealKey: nil)
        let (path, before) = try Self.append(added, toSegmentOf: directory)
        // Offline, no checkpoint covers them.
        #expect(throws: AuditError.self) { _ = try AuditVerifier(trust: Fixture.trust()).verify(directory: directory) }

        let reopened = try Fixture.openLog(directory)
        #expect(reopened.size == 4)
        #expect(reopened.recovery.segmentBytesDropped == added.count)
        #expect(reopened.recovery.segmentReason?.contains("2 record(s) after the last authenticated group seal") == true,
                "\(String(describing: reopened.recovery.segmentReason))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count >= before)
        try reopened.close()
        #expect(reopened.latestCheckpoint?.treeSize == 4)
        #expect(try AuditVerifier(trust: Fixture.trust()).verify(directory: directory).records == 4)
    }

    /// The same with a seal made under another key (here the operator's): it authenticates nothing, so it is cut too.
    @Test func recordsSealedUnderAnotherKeyAreCutNotSigned() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        let otherKey = try PrivateKey(pem: Fixture.read("Fixtures/pki/corpa-maker-ec.key")).derivedSecret(label: Segment.sealKeyLabel)
        let added = Self.frames(try Fixture.exchange(serial: "X2", signer: Fixture.makerSigner()), firstIndex: 4, sealKey: otherKey)
        _ = try Self.append(added, toSegmentOf: directory)
        let reopened = try Fixture.openLog(directory)
        #expect(reopened.size == 4)
        #expect(reopened.recovery.segmentBytesDropped == added.count)
        try reopened.close()
        #expect(reopened.latestCheckpoint?.treeSize == 4)
    }

    /// With the right key, chained to the log's last seal, the appended group is adopted: what makes the difference
    /// is the key and the history, not the framing. The same group chained to another history (a seal of another log
    /// under the same key) is cut.
    @Test(arguments: [true, false])
    func aGroupSealedWithTheAuditKeyIsAdoptedOnlyOnItsOwnHistory(chainedToThisLog: Bool) throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        let key = try Fixture.auditKey().derivedSecret(label: Segment.sealKeyLabel)
        let previous = chainedToThisLog ? try Self.lastSealMAC(directory) : Segment.noSealMAC
        _ = try Self.append(Self.frames(try Fixture.exchange(serial: "X3", signer: Fixture.makerSigner()), firstIndex: 4, sealKey: key,
                                        previousMAC: previous),
                           toSegmentOf: directory)
        let reopened = try Fixture.openLog(directory)
        #expect(reopened.size == (chainedToThisLog ? 6 : 4))
        try reopened.close()
    }

    /// The newest checkpoint decides which records need no seal, so a forged one (the right size and root over the
    /// appended records, any signature) must not get them in: open refuses.
    @Test func aForgedNewestCheckpointRefusesToOpen() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        let added = try Fixture.exchange(serial: "X4", signer: Fixture.makerSigner())
        _ = try Self.append(Self.frames(added, firstIndex: 4, sealKey: nil), toSegmentOf: directory)
        let contents = try AuditLogReader.read(directory: directory)
        #expect(contents.tree.size == 6)
        var forged = try #require(contents.checkpoints.last)
        forged = Checkpoint(treeSize: 6, rootHash: contents.tree.rootHash(size: 6), timeMilliseconds: forged.timeMilliseconds + 1000,
                            signature: forged.signature)
        try CheckpointForger.append(forged, to: directory)
        let error = #expect(throws: AuditError.self) { _ = try Fixture.openLog(directory) }
        #expect(error?.code == .checkpointSignature, "\(String(describing: error))")
    }

    /// A changed MAC on a seal past the checkpoint that is followed by more records is not a torn write: open refuses
    /// and names the group.
    @Test func aChangedSealBeforeTheTailRefusesToOpen() throws {
        let directory = try Self.unclosedLog(exchanges: 3)
        let path = try Fixture.segmentPaths(directory)[0]
        let editor = try SegmentEditor(path: path)
        #expect(editor.sealCount == 3)
        var bytes = editor.original
        // The first group's seal ends where record 2 starts; its MAC is the last 32 bytes before that.
        bytes[editor.recordOffsets[2] - 1] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: AuditError.self) { _ = try Fixture.openLog(directory) }
        #expect(error?.code == .sealInvalid && error?.recordIndex == 0 && error?.recordRangeEnd == 2, "\(String(describing: error))")
    }

    /// Power lost while the last group's write reached the disk only in part: its seal's fields are zeros where the
    /// reserved zeros were. That is a torn tail — the group was never acknowledged — so it is cut, not refused.
    @Test func aHalfWrittenLastSealIsATornTail() throws {
        let directory = try Self.unclosedLog(exchanges: 3)
        let path = try Fixture.segmentPaths(directory)[0]
        let editor = try SegmentEditor(path: path)
        var bytes = editor.original
        // The last seal: magic and length made it, first index and count did not.
        let seal = bytes.count - Segment.sealBytes
        for position in seal + 8..<seal + 20 { bytes[position] = 0 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reopened = try Fixture.openLog(directory)
        #expect(reopened.size == 4)
        #expect(reopened.recovery.segmentBytesDropped == bytes.count - editor.recordOffsets[4])
        try reopened.close()
        #expect(try AuditVerifier(trust: Fixture.trust()).verify(directory: directory).records == 4)
    }

    /// A segment that is not the newest holds records past the checkpoint without seals: refused, nothing cut.
    @Test func unsealedRecordsInAnOlderSegmentRefuseToOpen() throws {
        var limits = AuditLimits()
        limits.segmentBytesMax = 4096
        let directory = try Self.unclosedLog(exchanges: 4, limits: limits)
        let segments = try Fixture.segmentPaths(directory)
        #expect(segments.count > 1)
        let first = try SegmentEditor(path: segments[0])
        try first.save()  // the editor leaves the seals out
        let error = #expect(throws: AuditError.self) { _ = try Fixture.openLog(directory, limits: limits) }
        #expect(error?.code == .sealMissing && error?.recordIndex == 0, "\(String(describing: error))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: segments[0])) == Data(first.bytes), "nothing may be cut")
    }

    /// The seal key is a function of the private key alone: the same key re-encoded by openssl (PKCS#8, SEC1 with a
    /// compressed point) gives the same secret, another key another, another label another.
    @Test func sealKeyIsDerivedFromTheAuditKeyAndItsLabel() throws {
        let audit = try Fixture.auditKey().derivedSecret(label: Segment.sealKeyLabel)
        #expect(audit.count == 32)
        #expect(try Fixture.auditKey().derivedSecret(label: "another label") != audit)
        #expect(try PrivateKey(pem: Fixture.read("Fixtures/pki/corpa-maker-ec.key")).derivedSecret(label: Segment.sealKeyLabel) != audit)
        let folder = try Fixture.temporaryDirectory()
        for (name, arguments) in [("pkcs8.pem", ["pkey"]), ("compressed.pem", ["ec", "-conv_form", "compressed"])] {
            let out = folder.appendingPathComponent(name).path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments + ["-in", Fixture.path("Fixtures/pki/bank-audit.key"), "-out", out]
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let bytes = try #require(FileManager.default.contents(atPath: out))
            #expect(bytes != Data(try Fixture.read("Fixtures/pki/bank-audit.key")) || name == "pkcs8.pem")
            #expect(try PrivateKey(pem: [UInt8](bytes)).derivedSecret(label: Segment.sealKeyLabel) == audit, "\(name)")
        }
    }
}
