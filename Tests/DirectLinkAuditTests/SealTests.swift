@testable import DirectLinkAudit
import DirectLinkCrypto
import Foundation
import Testing

/// Group seals: records past the newest checkpoint are adopted on open only under a seal that authenticates with the
/// key derived from the audit key, so records someone appends to a stopped daemon's segments are never signed into a
/// later checkpoint.
struct SealTests {
    /// Frames for `records`, numbered from `firstIndex`, exactly as the log writes them, optionally with a seal.
    static func frames(_ records: [AuditRecord], firstIndex: UInt64, sealKey: [UInt8]?) -> [UInt8] {
        var out = ByteWriter(capacity: 0)
        var hashes: [[UInt8]] = []
        for (offset, record) in records.enumerated() {
            hashes.append(Segment.appendFrame(to: &out) { record.encode(leafIndex: firstIndex + UInt64(offset), into: &$0) })
        }
        if let sealKey { Segment.appendSeal(to: &out, firstIndex: firstIndex, hashes: hashes, key: sealKey) }
        return out.buffer
    }

    static func append(_ bytes: [UInt8], toSegmentOf directory: URL) throws -> (path: String, before: Int) {
        let path = try Fixture.segmentPaths(directory).last ?? ""
        let editor = try SegmentEditor(path: path)
        try Data(editor.original + bytes).write(to: URL(fileURLWithPath: path))
        return (path, editor.original.count)
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

    /// With the right key the appended group is adopted: what makes the difference is the key, not the framing.
    @Test func aGroupSealedWithTheAuditKeyIsAdopted() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        let key = try Fixture.auditKey().derivedSecret(label: Segment.sealKeyLabel)
        _ = try Self.append(Self.frames(try Fixture.exchange(serial: "X3", signer: Fixture.makerSigner()), firstIndex: 4, sealKey: key),
                           toSegmentOf: directory)
        let reopened = try Fixture.openLog(directory)
        #expect(reopened.size == 6)
        #expect(reopened.recovery.segmentBytesDropped == 0)
        try reopened.close()
    }

    /// A changed MAC on a seal past the checkpoint that is followed by more records is not a torn write: open refuses
    /// and names the group.
    @Test func aChangedSealBeforeTheTailRefusesToOpen() throws {
        let directory = try Fixture.temporaryDirectory()
        do {
            let log = try Fixture.openLog(directory)
            let signer = try Fixture.makerSigner()
            for number in 0..<3 { _ = try log.append(try Fixture.exchange(serial: "G\(number)", signer: signer)) }
        }
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

    /// A segment that is not the newest holds records past the checkpoint without seals: refused, nothing cut.
    @Test func unsealedRecordsInAnOlderSegmentRefuseToOpen() throws {
        var limits = AuditLimits()
        limits.segmentBytesMax = 4096
        let directory = try Fixture.temporaryDirectory()
        do {
            let log = try Fixture.openLog(directory, limits: limits)
            let signer = try Fixture.makerSigner()
            for number in 0..<4 { _ = try log.append(try Fixture.exchange(serial: "O\(number)", signer: signer)) }
        }
        let segments = try Fixture.segmentPaths(directory)
        #expect(segments.count > 1)
        let first = try SegmentEditor(path: segments[0])
        try first.save()  // the editor leaves the seals out
        let error = #expect(throws: AuditError.self) { _ = try Fixture.openLog(directory, limits: limits) }
        #expect(error?.code == .sealMissing && error?.recordIndex == 0, "\(String(describing: error))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: segments[0])) == Data(first.bytes), "nothing may be cut")
    }

    /// The seal key is a function of the private key alone: the same key file gives the same secret, another key
    /// another, another label another.
    @Test func sealKeyIsDerivedFromTheAuditKeyAndItsLabel() throws {
        let audit = try Fixture.auditKey().derivedSecret(label: Segment.sealKeyLabel)
        #expect(audit.count == 32)
        #expect(try Fixture.auditKey().derivedSecret(label: Segment.sealKeyLabel) == audit)
        #expect(try Fixture.auditKey().derivedSecret(label: "another label") != audit)
        #expect(try PrivateKey(pem: Fixture.read("Fixtures/pki/corpa-maker-ec.key")).derivedSecret(label: Segment.sealKeyLabel) != audit)
    }
}
