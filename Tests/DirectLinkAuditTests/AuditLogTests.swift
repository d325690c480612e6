@testable import DirectLinkAudit
import DirectLinkCrypto
import Foundation
import Testing

struct AuditLogTests {
    @Test func appendReturnsConsecutiveIndexesAndReopenRestoresTheTree() throws {
        let directory = try Fixture.temporaryDirectory()
        let signer = try Fixture.makerSigner()
        let root: [UInt8]
        do {
            let log = try Fixture.openLog(directory)
            #expect(try log.append(try Fixture.exchange(serial: "S1", signer: signer)) == [0, 1])
            #expect(try log.append(try Fixture.exchange(serial: "S2", signer: signer)) == [2, 3])
            root = try log.checkpoint().rootHash
        }
        let reopened = try Fixture.openLog(directory)
        #expect(reopened.size == 4)
        #expect(reopened.recovery == AuditLog.Recovery())
        #expect(reopened.latestCheckpoint?.rootHash == root)
        #expect(reopened.leafIndexes(corpId: "CORPA001", serialNo: "S2") == [2, 3])
        #expect(try reopened.append(try Fixture.exchange(serial: "S3", signer: signer)) == [4, 5])
    }

    @Test func recordEncodingRoundTrips() throws {
        let record = try Fixture.exchange(serial: "S9", signer: Fixture.makerSigner())[0]
        let decoded = try AuditRecord.decode(record.encode(leafIndex: 42)[...])
        #expect(decoded.leafIndex == 42)
        #expect(decoded.record == record)
    }

    @Test func inclusionAnswersAgainstTheNewestCheckpointAndVerifies() throws {
        var limits = AuditLimits()
        limits.segmentBytesMax = 8192
        let directory = try Fixture.populatedLog(exchanges: 5)
        let log = try Fixture.openLog(directory, limits: limits)
        _ = try log.append(try Fixture.exchange(serial: "S2000", signer: Fixture.makerSigner()))
        #expect(throws: AuditError.self) { try log.inclusion(corpId: "CORPA001", serialNo: "S2000") }  // not checkpointed yet
        try log.checkpoint()
        // S1002 was found by scanning on open, S2000 was indexed by append (in a rotated segment).
        for (serial, indexes) in [("S1002", [UInt64(4), 5]), ("S2000", [10, 11])] {
            let answer = try log.inclusion(corpId: "CORPA001", serialNo: serial)
            #expect(answer.entries.map(\.leafIndex) == indexes)
            for entry in answer.entries {
                let decoded = try AuditRecord.decode(entry.record[...])
                #expect(decoded.leafIndex == entry.leafIndex && decoded.record.serialNo == serial)
                #expect(MerkleHash.leaf(entry.record) == entry.leafHash)
                #expect(MerkleProof.verifyInclusion(leafHash: entry.leafHash, leafIndex: entry.leafIndex, treeSize: answer.checkpoint.treeSize,
                                                    proof: entry.proof, rootHash: answer.checkpoint.rootHash))
            }
            #expect(answer.checkpoint.isSigned(by: try Fixture.auditCertificate()))
        }
        #expect(throws: AuditError.self) { try log.inclusion(corpId: "CORPB001", serialNo: "S1002") }
    }

    @Test func concurrentAppendsGetDistinctConsecutiveIndexes() async throws {
        let directory = try Fixture.temporaryDirectory()
        let log = try Fixture.openLog(directory)
        let signer = try Fixture.makerSigner()
        let indexes = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var mine: [UInt64] = []
                    for number in 0..<10 { mine += try log.append(try Fixture.exchange(serial: "W\(worker)-\(number)", signer: signer)) }
                    return mine
                }
            }
            return try await group.reduce(into: [UInt64]()) { $0 += $1 }
        }
        #expect(indexes.sorted() == Array(0..<80))
        try log.close()
        #expect(try AuditVerifier(trust: Fixture.trust()).verify(directory: directory).records == 80)
    }

    /// A crash in the middle of the last group commit: its second record is half written and its seal missing. The
    /// group was never acknowledged: its whole record and the half are cut, and reported.
    @Test func tornPartialRecordIsCutOnOpenAndReported() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        do {
            let log = try Fixture.openLog(directory)
            _ = try log.append(try Fixture.exchange(serial: "late", signer: Fixture.makerSigner()))
        }
        let path = try Fixture.segmentPaths(directory)[0]
        let editor = try SegmentEditor(path: path)
        let cut = editor.recordOffsets[5] + editor.frames[5].count / 2
        try Data(editor.original.prefix(cut)).write(to: URL(fileURLWithPath: path))
        let reopened = try Fixture.openLog(directory)
        #expect(reopened.size == 4)
        #expect(reopened.recovery.segmentBytesDropped == cut - editor.recordOffsets[4])
        try reopened.close()
        #expect(try AuditVerifier(trust: Fixture.trust()).verify(directory: directory).records == 4)
    }

    /// Zeros after the last record are the space an open segment reserves (a crash leaves them): not a torn tail.
    /// Reopened, the log writes its next records over them, and the verifier reads the file either way.
    @Test func zeroFilledTailIsReservedSpaceWrittenOverAfterReopening() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        let path = try Fixture.segmentPaths(directory)[0]
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(count: 700))
        try handle.close()
        #expect(try AuditVerifier(trust: Fixture.trust()).verify(directory: directory).records == 4)
        let reopened = try Fixture.openLog(directory)
        #expect(reopened.size == 4)
        #expect(reopened.recovery.segmentBytesDropped == 0)
        _ = try reopened.append(try Fixture.exchange(serial: "after", signer: Fixture.makerSigner()))
        // The two new records are not checkpointed until close: a live log.
        #expect(try AuditVerifier(trust: Fixture.trust(), allowUncovered: true).verify(directory: directory).records == 6)
        try reopened.close()
        // Closed, the segment ends with its last record.
        #expect(try SegmentEditor(path: path).original.count == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int))
        #expect(try AuditVerifier(trust: Fixture.trust()).verify(directory: directory).records == 6)
    }

    /// While the log is open, records are written over zeros reserved ahead of them, so that an fdatasync changes
    /// neither the file's size nor its blocks; a copy taken then (what a crash leaves) reads back whole.
    @Test func anOpenSegmentReservesZerosAheadAndACopyOfItVerifies() throws {
        var limits = AuditLimits()
        limits.segmentReserveBytes = 64 << 10
        let directory = try Fixture.temporaryDirectory()
        let log = try Fixture.openLog(directory, limits: limits)
        let signer = try Fixture.makerSigner()
        for number in 0..<30 { _ = try log.append(try Fixture.exchange(serial: "R\(number)", signer: signer)) }
        let path = try Fixture.segmentPaths(directory)[0]
        let fileBytes = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let dataBytes = try SegmentEditor(path: path).original.count
        #expect(fileBytes > dataBytes)
        #expect(fileBytes % (64 << 10) == 0, "the file grows by whole reserves")
        let copy = try Fixture.temporaryDirectory()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name != "LOCK" {
            try FileManager.default.copyItem(at: directory.appendingPathComponent(name), to: copy.appendingPathComponent(name))
        }
        #expect(try AuditVerifier(trust: Fixture.trust(), allowUncovered: true).verify(directory: copy).records == 60)
        let reopened = try Fixture.openLog(copy, limits: limits)
        #expect(reopened.size == 60)
        #expect(reopened.recovery.segmentBytesDropped == 0)
        try log.close()
    }

    @Test func corruptionFollowedByGoodRecordsRefusesToOpen() throws {
        let directory = try Fixture.populatedLog(exchanges: 3)
        let path = try Fixture.segmentPaths(directory)[0]
        var editor = try SegmentEditor(path: path)
        editor.flipByte(inFrame: 1, recomputeChecksum: false)
        try editor.save()
        let error = #expect(throws: AuditError.self) { _ = try Fixture.openLog(directory) }
        #expect(error?.code == .recordChecksum && error?.recordIndex == 1)
    }

    @Test func recordsAcknowledgedUnderACheckpointAreNeverCutAsATornTail() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        let path = try Fixture.segmentPaths(directory)[0]
        let editor = try SegmentEditor(path: path)
        let damaged = Data(editor.bytes.dropLast(5))
        try damaged.write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: AuditError.self) { _ = try Fixture.openLog(directory) }
        #expect(error?.code == .checkpointBeyondLog && error?.recordIndex == 3)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == damaged, "nothing may be cut")
    }

    @Test func tornCheckpointIsCutOnOpen() throws {
        let directory = try Fixture.populatedLog(exchanges: 2)
        let url = directory.appendingPathComponent("checkpoints.log")
        let bytes = try Data(contentsOf: url)
        try (bytes + Data("directlink-audit-v1\n4\nabc".utf8)).write(to: url)
        let reopened = try Fixture.openLog(directory)
        #expect(reopened.recovery.checkpointBytesDropped == 25)
        #expect(try AuditVerifier(trust: nil).verify(directory: directory).checkpoints == 1)
    }

    @Test func segmentsRotateBySize() throws {
        var limits = AuditLimits()
        limits.segmentBytesMax = 4096
        let directory = try Fixture.temporaryDirectory()
        let log = try Fixture.openLog(directory, limits: limits)
        let signer = try Fixture.makerSigner()
        for number in 0..<6 { _ = try log.append(try Fixture.exchange(serial: "R\(number)", signer: signer)) }
        try log.close()
        #expect(try Fixture.segmentPaths(directory).count >= 3)
        #expect(try AuditVerifier(trust: Fixture.trust(), limits: limits).verify(directory: directory).records == 12)
    }

    @Test func segmentsRotateAtUTCMidnight() throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))  // 2026-11-18
        let directory = try Fixture.temporaryDirectory()
        let log = try Fixture.openLog(directory, clock: { clock.now })
        let signer = try Fixture.makerSigner()
        _ = try log.append(try Fixture.exchange(serial: "D1", signer: signer))
        clock.advance(by: 86_400)
        _ = try log.append(try Fixture.exchange(serial: "D2", signer: signer))
        try log.close()
        let names = try Fixture.segmentPaths(directory).map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(names == ["segment-000001-20261118.dlog", "segment-000002-20261119.dlog"])
        #expect(try AuditVerifier(trust: nil).verify(directory: directory).records == 4)
    }

    @Test func missingSegmentIsNamed() throws {
        var limits = AuditLimits()
        limits.segmentBytesMax = 4096
        let directory = try Fixture.temporaryDirectory()
        let log = try Fixture.openLog(directory, limits: limits)
        let signer = try Fixture.makerSigner()
        for number in 0..<6 { _ = try log.append(try Fixture.exchange(serial: "R\(number)", signer: signer)) }
        try log.close()
        try FileManager.default.removeItem(atPath: try Fixture.segmentPaths(directory)[1])
        #expect(throws: AuditError.self) { _ = try AuditVerifier(trust: nil, limits: limits).verify(directory: directory) }
    }

    @Test func checkpointIsDueAfterTheRecordInterval() throws {
        var limits = AuditLimits()
        limits.checkpointIntervalRecords = 4
        limits.checkpointIntervalSeconds = 3600
        let log = try Fixture.openLog(try Fixture.temporaryDirectory(), limits: limits)
        let signer = try Fixture.makerSigner()
        _ = try log.append(try Fixture.exchange(serial: "C1", signer: signer))
        #expect(try log.checkpointIfDue()?.treeSize == 2)  // the first checkpoint is always due
        _ = try log.append(try Fixture.exchange(serial: "C2", signer: signer))
        #expect(try log.checkpointIfDue() == nil)
        _ = try log.append(try Fixture.exchange(serial: "C3", signer: signer))
        #expect(try log.checkpointIfDue()?.treeSize == 6)
    }

    @Test func oversizedMessageAndFieldAreRefusedBeforeWriting() throws {
        var limits = AuditLimits()
        limits.messageBytesMax = 100
        limits.fieldBytesMax = 8
        let log = try Fixture.openLog(try Fixture.temporaryDirectory(), limits: limits)
        var records = try Fixture.exchange(serial: "X", signer: Fixture.makerSigner())
        #expect(throws: AuditError.self) { _ = try log.append([records[0]]) }
        records[1].correlationId = "123456789"
        #expect(throws: AuditError.self) { _ = try log.append([records[1]]) }
        #expect(log.size == 0)
    }

    @Test func anotherAuditCertificateIsRefused() throws {
        let directory = try Fixture.populatedLog(exchanges: 1)
        let other = try Certificate(pem: Fixture.read("Fixtures/pki/corpa-maker-ec.pem"))
        let key = try PrivateKey(pem: Fixture.read("Fixtures/pki/corpa-maker-ec.key"))
        #expect(throws: AuditError.self) { _ = try AuditLog(directory: directory, key: key, certificate: other) }
    }
}

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
}
