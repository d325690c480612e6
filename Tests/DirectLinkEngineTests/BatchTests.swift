import DirectLinkEngine
import DirectLinkLedger
import Foundation
import Testing

@Suite struct BatchTests {
    typealias F = EngineFixture

    func payroll(_ fixture: EngineFixture, items: [BatchItem], serial: String = "PAYROLL-1", corporation: String = "CORPA001",
                 debit: String = F.aBasic) -> BatchOrder {
        BatchOrder(corporation: corporation, operatorId: "MAKER01", serial: serial, debitAccount: debit, items: items,
                   orderDigest: F.digest(serial))
    }

    @Test func payrollSettlesPerItemAndReportsPartialSettlement() async throws {
        let fixture = try EngineFixture()
        let items = [
            BatchItem(creditAccount: F.bBasic, payeeName: "张三", amount: Money(minorUnits: 500_000)),
            BatchItem(creditAccount: "6229999999999999", payeeName: "不存在", amount: Money(minorUnits: 500_000)),
            BatchItem(creditAccount: F.fundMain, payeeName: "李四", amount: Money(minorUnits: 700_000)),
        ]
        let result = try await fixture.engine.submit(payroll(fixture, items: items))
        #expect(result.items.map(\.status) == [.settled, .failed, .settled])
        #expect(result.items[1].error?.code == .accountUnknown)
        #expect(result.batchStatus == .partiallySettled)
        #expect(result.iso20022 == "PART")
        #expect(result.isFinal)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").balanceMinor == 1_000_000_000 - 1_200_000)
        let again = try await fixture.engine.submit(payroll(fixture, items: items))
        #expect(again.replayed && again.items.count == 3)
        var changed = items
        changed[0].amount = Money(minorUnits: 500_001)
        #expect(try await fixture.engine.submit(payroll(fixture, items: changed)).error?.field == "items")
        try await fixture.expectInvariants()
    }

    @Test func largePayrollIsApprovedAsAWhole() async throws {
        let fixture = try EngineFixture()
        let items = (0..<200).map { _ in BatchItem(creditAccount: F.bBasic, payeeName: "员工", amount: Money(minorUnits: 100_000)) }
        // Total 200,000.00 ≥ 100,000.00: A-LARGE.
        let pending = try await fixture.engine.submit(payroll(fixture, items: items))
        #expect(pending.status == .pendingApproval)
        #expect(pending.items.allSatisfy { $0.status == .pendingApproval })
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").holdsMinor == 20_000_000)
        _ = try await fixture.approval(pending, by: "APPR01")
        let done = try await fixture.approval(pending, by: "ADMIN01")
        #expect(done.batchStatus == .settled)
        #expect(done.items.allSatisfy { $0.status == .settled })
        #expect(try await fixture.balance(F.bBasic, corporation: "CORPB001").balanceMinor == 300_000_000 + 20_000_000)
        try await fixture.expectInvariants()
    }

    @Test func rejectedPayrollRejectsEveryItemAndReleasesHolds() async throws {
        let fixture = try EngineFixture()
        let items = (0..<3).map { _ in BatchItem(creditAccount: F.bBasic, payeeName: "员工", amount: Money(minorUnits: 5_000_000)) }
        let pending = try await fixture.engine.submit(payroll(fixture, items: items))
        let rejected = try await fixture.approval(pending, by: "APPR03", decision: .reject)
        #expect(rejected.status == .rejected)
        #expect(rejected.items.allSatisfy { $0.status == .rejected })
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").holdsMinor == 0)
        try await fixture.expectInvariants()
    }

    @Test func payrollPreValidationReportsItemsLevelsAndHeadroomWithoutHolding() async throws {
        let fixture = try EngineFixture()
        let items = [
            BatchItem(creditAccount: F.bBasic, payeeName: "张三", amount: Money(minorUnits: 6_000_000)),
            BatchItem(creditAccount: "6229999999999999", payeeName: "不存在", amount: Money(minorUnits: 100)),
            BatchItem(creditAccount: F.fundMain, payeeName: "李四", amount: Money(minorUnits: 6_000_000)),
        ]
        let report = try await fixture.engine.preValidate(payroll(fixture, items: items))
        #expect(report.error == nil)
        #expect(report.totalMinor == 12_000_000)
        #expect(report.approvalRuleId == "A-LARGE")
        #expect(report.items.map { $0?.code } == [nil, .accountUnknown, nil])
        #expect(report.limits.contains { $0.ruleId == "L-TYPE-BATCH-DAILY" && $0.wouldPass })
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").holdsMinor == 0)
        #expect(try await fixture.engine.submit(payroll(fixture, items: items)).status == .pendingApproval)
        let again = try await fixture.engine.preValidate(payroll(fixture, items: items))
        #expect(again.error?.code == .serialConflict)
    }

    @Test func approvedPayrollWaitingForItsValueDateCanStillBeCancelled() async throws {
        let fixture = try EngineFixture()
        let items = (0..<3).map { _ in BatchItem(creditAccount: F.bBasic, payeeName: "员工", amount: Money(minorUnits: 100_000)) }
        var order = payroll(fixture, items: items)
        order.valueDate = F.today.adding(days: 2)
        let scheduled = try await fixture.engine.submit(order)
        #expect(scheduled.items.allSatisfy { $0.status == .scheduled })
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").holdsMinor == 300_000)
        let cancelled = try await fixture.engine.cancel(CancelCommand(corporation: "CORPA001", operatorId: "MAKER01", serial: "CANCEL-PAYROLL",
                                                                      payment: .serial(order.serial)))
        #expect(cancelled.error == nil)
        #expect(cancelled.items.allSatisfy { $0.status == .cancelled })
        #expect(cancelled.batchStatus == .cancelled && cancelled.iso20022 == "CANC")
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").holdsMinor == 0)
        let headroom = try await fixture.engine.preValidate(try fixture.order("1.00")).limits.first { $0.ruleId == "L-A-DAILY" }
        #expect(headroom?.remaining == 2_000_000_000)
        try await fixture.expectInvariants()
    }

    @Test func payrollItemThatFailsAtClearingGivesBackItsShareOfTheLimits() async throws {
        let fixture = try EngineFixture()
        let items = [
            BatchItem(creditAccount: "6217000011112222", payeeName: "他行员工", payeeBankCode: F.otherBank, amount: Money(minorUnits: 300_000)),
            BatchItem(creditAccount: "6217000010000000", payeeName: "销户员工", payeeBankCode: F.otherBank, amount: Money(minorUnits: 200_000)),
            BatchItem(creditAccount: F.bBasic, payeeName: "本行员工", amount: Money(minorUnits: 100_000)),
        ]
        let submitted = try await fixture.engine.submit(payroll(fixture, items: items))
        #expect(submitted.items.map(\.status) == [.released, .released, .settled])
        func batchDailyRemaining() async throws -> Int64? {
            try await fixture.engine.preValidate(try fixture.order("1.00", type: "PAY.BATCH")).limits
                .first { $0.ruleId == "L-TYPE-BATCH-DAILY" }?.remaining
        }
        #expect(try await batchDailyRemaining() == 10_000_000_000 - 600_000)
        _ = try await fixture.engine.runHousekeeping()
        let view = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial("PAYROLL-1"))
        #expect(view.items.map(\.status) == [.settled, .failed, .settled])
        #expect(view.batchStatus == .partiallySettled)
        #expect(try await batchDailyRemaining() == 10_000_000_000 - 400_000)
        try await fixture.expectInvariants()
    }

    @Test func batchLimitsAreEnforcedWithTheirCodes() async throws {
        let fixture = try EngineFixture()
        let empty = try await fixture.engine.submit(payroll(fixture, items: [], serial: "B-EMPTY"))
        #expect(empty.error?.code == .batchEmpty)
        let item = BatchItem(creditAccount: F.bBasic, payeeName: "员工", amount: Money(minorUnits: 1))
        let tooMany = try await fixture.engine.submit(payroll(fixture, items: Array(repeating: item, count: 10_001), serial: "B-BIG"))
        #expect(tooMany.error?.code == .batchTooLarge)
        #expect(tooMany.status == .failed)
        let maximal = try await fixture.engine.submit(payroll(fixture, items: Array(repeating: item, count: 10_000), serial: "B-MAX"))
        #expect(maximal.batchStatus == .settled)
        try await fixture.expectInvariants()
    }

    @Test func householdMaintenanceFundsPayFromVirtualSubAccounts() async throws {
        let fixture = try EngineFixture()
        let items = [BatchItem(creditAccount: F.bBasic, payeeName: "电梯维修", amount: Money(minorUnits: 100_000))]
        let order = BatchOrder(corporation: "FUND0001", operatorId: "MAKER01", serial: "FUND-1", debitAccount: F.household101,
                               items: items, orderDigest: F.digest("FUND-1"))
        let pending = try await fixture.engine.submit(order)
        #expect(pending.status == .pendingApproval)
        let done = try await fixture.approval(pending, by: "APPR01", corporation: "FUND0001")
        #expect(done.batchStatus == .settled)
        #expect(try await fixture.balance(F.household101, corporation: "FUND0001").balanceMinor == 800_000 - 100_000)
        try await fixture.expectInvariants()
    }
}
