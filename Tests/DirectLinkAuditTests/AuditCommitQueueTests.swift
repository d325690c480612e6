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

    @Test func commitAfterCloseIsRefused() async throws {
        let queue = AuditCommitQueue(log: try Fixture.openLog(try Fixture.temporaryDirectory()))
        try queue.close()
        let pair = try Fixture.exchange(serial: "Z1", signer: Fixture.makerSigner())
        await #expect(throws: AuditError.self) { _ = try await queue.commit(pair) }
    }
}
