@testable import DirectLinkAudit
import Foundation
import Testing

/// Crashes around rotation and checkpoints, simulated by leaving the files as a crash would.
struct RecoveryTests {
    static func smallSegments() -> AuditLimits {
        var limits = AuditLimits()
        limits.segmentBytesMax = 4096
        return limits
    }

    @Test func crashWhileCreatingASegmentLeavesATornHeaderThatOpenRewrites() throws {
        let directory = try Fixture.populatedLog(exchanges: 1)
        let torn = directory.appendingPathComponent("segment-000002-20261125.dlog")
        try Data("DLAUD".utf8).write(to: torn)
        let log = try Fixture.openLog(directory)
        #expect(log.recovery.segmentBytesDropped == 5)
        #expect(try log.append(try Fixture.exchange(serial: "after", signer: Fixture.makerSigner())) == [2, 3])
        try log.close()
        #expect(try AuditVerifier(trust: Fixture.trust()).verify(directory: directory).records == 4)
    }

    @Test func damageAtTheEndOfAnOlderSegmentIsCorruptionNotATornTail() throws {
        let directory = try Fixture.temporaryDirectory()
        do {
            let log = try Fixture.openLog(directory, limits: Self.smallSegments())
            let signer = try Fixture.makerSigner()
            for number in 0..<4 { _ = try log.append(try Fixture.exchange(serial: "R\(number)", signer: signer)) }
        }
        let first = try Fixture.segmentPaths(directory)[0]
        let editor = try SegmentEditor(path: first)
        try Data(editor.bytes.dropLast(3)).write(to: URL(fileURLWithPath: first))
        let error = #expect(throws: AuditError.self) { _ = try Fixture.openLog(directory, limits: Self.smallSegments()) }
        #expect(error?.code == .recordFraming && error?.recordIndex == UInt64(editor.frames.count - 1))
    }

    @Test func checkpointIsDueAfterTheTimeIntervalAndItsTimeNeverGoesBack() throws {
        var limits = AuditLimits()
        limits.checkpointIntervalSeconds = 10
        let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))
        let log = try Fixture.openLog(try Fixture.temporaryDirectory(), limits: limits, clock: { clock.now })
        let signer = try Fixture.makerSigner()
        _ = try log.append(try Fixture.exchange(serial: "T1", signer: signer))
        let first = try #require(try log.checkpointIfDue())
        _ = try log.append(try Fixture.exchange(serial: "T2", signer: signer))
        clock.advance(by: 9)
        #expect(try log.checkpointIfDue() == nil)
        clock.advance(by: 1)
        #expect(try log.checkpointIfDue()?.treeSize == 4)
        _ = try log.append(try Fixture.exchange(serial: "T3", signer: signer))
        clock.advance(by: -3600)  // the wall clock jumps back
        let third = try log.checkpoint()
        #expect(third.timeMilliseconds >= first.timeMilliseconds + 10_000)
        #expect(try log.checkpointIfDue() == nil, "nothing new since the last checkpoint")
    }
}
