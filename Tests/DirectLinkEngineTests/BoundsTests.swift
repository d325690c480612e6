import DirectLinkEngine
import DirectLinkLedger
import Foundation
import Testing

/// Every bound in `EngineBounds` has a test that crosses it and expects its documented code.
@Suite struct BoundsTests {
    typealias F = EngineFixture

    @Test func serialLongerThanItsBoundIsAnInvalidRequest() async throws {
        let fixture = try EngineFixture()
        let atBound = try await fixture.engine.submit(try fixture.order("1.00", serial: String(repeating: "S", count: 64)))
        #expect(atBound.status == .settled)
        let beyond = try await fixture.engine.submit(try fixture.order("1.00", serial: String(repeating: "S", count: 65)))
        #expect(beyond.error?.code == .requestInvalid && beyond.error?.field == "serial")
        let control = try await fixture.engine.submit(try fixture.order("1.00", serial: "A B"))
        #expect(control.error?.code == .requestInvalid)
    }

    @Test func textLongerThanItsBoundIsAnInvalidRequestAndStaysFailed() async throws {
        let fixture = try EngineFixture()
        var order = try fixture.order("1.00", serial: "LONG-NAME")
        order.payeeName = String(repeating: "名", count: 86)  // 258 bytes of UTF-8
        let refused = try await fixture.engine.submit(order)
        #expect(refused.error?.code == .requestInvalid && refused.error?.field == "payeeName")
        #expect(try await fixture.engine.submit(order).replayed)
    }

    @Test func groupCommitNeverPutsMoreThanItsBoundInOneTransaction() async throws {
        let fixture = try EngineFixture { $0.bounds.groupCommitCommandsMax = 100; $0.limits = [] }
        let orders = try (0..<250).map { _ in try fixture.order("1.00") }
        let results = try await fixture.engine.submit(orders)
        #expect(results.allSatisfy { $0.status == .settled })
        let statistics = fixture.engine.commitStatistics
        #expect(statistics.commands == 250 && statistics.transactions >= 3)
        try await fixture.expectInvariants()
    }

    @Test func housekeepingHandlesAtMostItsBoundPerRun() async throws {
        let fixture = try EngineFixture { $0.bounds.housekeepingRowsMax = 2 }
        for _ in 0..<3 { _ = try await fixture.engine.submit(try fixture.order("1.00", to: "6217000011112222", bank: F.otherBank)) }
        #expect(try await fixture.engine.runHousekeeping().settled == 2)
        #expect(try await fixture.engine.runHousekeeping().settled == 1)
        try await fixture.expectInvariants()
    }

    @Test func queriesAreBoundedByTheirPageBound() async throws {
        let fixture = try EngineFixture { $0.bounds.detailsPageEntriesMax = 2 }
        for _ in 0..<3 { _ = try await fixture.engine.submit(try fixture.order("1.00")) }
        let page = try await fixture.engine.transactionDetails(corporation: "CORPB001", account: F.bBasic, from: F.today, to: F.today, pageSize: 50)
        #expect(page.entries.count == 2 && page.more)
        await #expect(throws: EngineError.self) {
            _ = try await fixture.engine.balances(corporation: "CORPA001", accounts: [F.aBasic, F.aGeneral, F.aFrozen])
        }
    }

    @Test func seedNamingUndefinedRolesIsRefusedAtStartUp() throws {
        var configuration = try EngineConfiguration.load(directory: F.confDirectory)
        configuration.seed.corporations[0].operators[0].roles = ["superuser"]
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = try EngineConfiguration.load(directory: F.confDirectory)
        configuration.seed.corporations[0].approvalRules[0].levels[0].role = "nobody"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }

    @Test func inconsistentBoundsAreRefusedAtStartUp() throws {
        var bounds = EngineBounds()
        bounds.batchItemsMax = 0
        #expect(throws: ConfigurationError.self) { try bounds.validate() }
    }
}
