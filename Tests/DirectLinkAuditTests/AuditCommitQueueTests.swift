@testable import DirectLinkAudit
import Foundation
import Testing

struct AuditCommitQueueTests {
    @Test func concurrentCommitsShareGroupsAndEachGetsItsOwnIndexes() async throws {
        let directory = try Fixture.temporaryDirectory()
        let queue = AuditCommitQueue(log: try Fixture.openLog(directory))
        let signer = try Fixture.makerSigner()
        let exchanges = try (0..<200).map { try Fixture.exchange(serial: "Q\($0)", signer: signer) }
        let results = try await withThrowingTaskGroup(of: (Int, [UInt64]).self) { group in
            for (number, records) in exchanges.enumerated() {
                group.addTask { (number, try await queue.commit(records)) }
            }
            return try await group.reduce(into: [Int: [UInt64]]()) { $0[$1.0] = $1.1 }
        }
        #expect(results.values.flatMap { $0 }.sorted() == Array(0..<400))
        #expect(results.values.allSatisfy { $0.count == 2 && $0[1] == $0[0] + 1 }, "a pair stays adjacent")
        let groups = queue.statistics.groups
        #expect(groups >= 1 && groups <= 200)
        try queue.close()
        var serials: [UInt64: String] = [:]
        _ = try AuditLogReader.read(directory: directory) { index, record, _ in serials[index] = record.serialNo }
        for (number, indexes) in results { #expect(indexes.allSatisfy { serials[$0] == "Q\(number)" }) }
        let summary = try AuditVerifier(trust: Fixture.trust()).verify(directory: directory)
        #expect(summary.records == 400 && summary.recordsAfterLastCheckpoint == 0)
    }

    @Test func oversizedGroupFailsOnlyItsOwnCaller() async throws {
        var limits = AuditLimits()
        limits.groupRecordsMax = 2
        let queue = AuditCommitQueue(log: try Fixture.openLog(try Fixture.temporaryDirectory(), limits: limits))
        let pair = try Fixture.exchange(serial: "P1", signer: Fixture.makerSigner())
        await #expect(throws: AuditError.self) { _ = try await queue.commit(pair + pair) }
        #expect(try await queue.commit(pair) == [0, 1])
        try queue.close()
    }

    /// While the thread gathers, arrivals do not wake it; a group that fills up must, or its callers would wait out the
    /// whole gather window (60 s here, so a missing wake-up cannot pass unnoticed).
    @Test func aFullGroupEndsTheGatherWindow() async throws {
        var limits = AuditLimits()
        limits.groupRecordsMax = 4
        let queue = AuditCommitQueue(log: try Fixture.openLog(try Fixture.temporaryDirectory(), limits: limits), gatherSeconds: 60)
        let signer = try Fixture.makerSigner()
        let pairs = try (0..<2).map { try Fixture.exchange(serial: "G\($0)", signer: signer) }
        let started = ContinuousClock.now
        let indexes = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for pair in pairs { group.addTask { try await queue.commit(pair) } }
            return try await group.reduce(into: [UInt64]()) { $0 += $1 }
        }
        #expect(indexes.sorted() == [0, 1, 2, 3])
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(queue.statistics.groups == 1)
        try queue.close()
    }

    /// Many callers arriving during short gather windows are all answered, each with its own records.
    @Test func callersArrivingWhileTheThreadGathersAreAllAnswered() async throws {
        let directory = try Fixture.temporaryDirectory()
        let queue = AuditCommitQueue(log: try Fixture.openLog(directory), gatherSeconds: 0.002)
        let signer = try Fixture.makerSigner()
        let exchanges = try (0..<300).map { try Fixture.exchange(serial: "W\($0)", signer: signer) }
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for records in exchanges { group.addTask { try await queue.commit(records).count } }
            return try await group.reduce(0, +)
        }
        #expect(counts == 600)
        try queue.close()
        let summary = try AuditVerifier(trust: Fixture.trust()).verify(directory: directory)
        #expect(summary.records == 600)
    }

    @Test func commitAfterCloseIsRefused() async throws {
        let queue = AuditCommitQueue(log: try Fixture.openLog(try Fixture.temporaryDirectory()))
        try queue.close()
        let pair = try Fixture.exchange(serial: "Z1", signer: Fixture.makerSigner())
        await #expect(throws: AuditError.self) { _ = try await queue.commit(pair) }
    }
}
