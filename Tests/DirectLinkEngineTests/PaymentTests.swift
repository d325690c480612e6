import DirectLinkEngine
import DirectLinkLedger
import Foundation
import Testing

@Suite struct PaymentTests {
    typealias F = EngineFixture

    @Test func intraBankPaymentSettlesAtOnceAndMovesBothBalances() async throws {
        let fixture = try EngineFixture()
        let result = try await fixture.engine.submit(try fixture.order("1234.56"))
        #expect(result.status == .settled)
        #expect(result.iso20022 == "ACSC")
        #expect(result.isFinal)
        #expect(result.channel == .internal)
        #expect(result.bankReference?.hasPrefix("DL") == true)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").balanceMinor == 1_000_000_000 - 123_456)
        #expect(try await fixture.balance(F.bBasic, corporation: "CORPB001").balanceMinor == 300_000_000 + 123_456)
        try await fixture.expectInvariants()
    }

    @Test func resentSerialWithSameContentReturnsTheOriginalPaymentOnce() async throws {
        let fixture = try EngineFixture()
        let order = try fixture.order("100.00", serial: "ERP-0001")
        let first = try await fixture.engine.submit(order)
        let again = try await fixture.engine.submit(order)
        #expect(!first.replayed)
        #expect(again.replayed)
        #expect(again.bankReference == first.bankReference)
        #expect(again.status == .settled)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").balanceMinor == 1_000_000_000 - 10_000)
        try await fixture.expectInvariants()
    }

    static func changed(_ field: String, _ order: PaymentOrder) -> PaymentOrder {
        var o = order
        switch field {
        case "amount": o.amount = Money(minorUnits: 10_001)
        case "creditAccount": o.creditAccount = F.fundMain
        case "debitAccount": o.debitAccount = F.aGeneral
        case "payeeName": o.payeeName = "别人"
        default: o.transactionType = "PAY.OTHER"
        }
        return o
    }

    @Test(arguments: ["amount", "creditAccount", "debitAccount", "payeeName", "transactionType"])
    func resentSerialWithDifferentContentIsRejectedNamingTheField(field: String) async throws {
        let fixture = try EngineFixture()
        let order = try fixture.order("100.00", serial: "ERP-0002")
        _ = try await fixture.engine.submit(order)
        let conflict = try await fixture.engine.submit(Self.changed(field, order))
        #expect(conflict.error?.code == .serialConflict)
        #expect(conflict.error?.field == field)
        #expect(conflict.bankReference == nil)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").balanceMinor == 1_000_000_000 - 10_000)
        try await fixture.expectInvariants()
    }

    @Test func resentSerialWithDifferentAmountIsRejected() async throws {
        let fixture = try EngineFixture()
        _ = try await fixture.engine.submit(try fixture.order("100.00", serial: "ERP-9"))
        let conflict = try await fixture.engine.submit(try fixture.order("100.01", serial: "ERP-9"))
        #expect(conflict.error?.code == .serialConflict)
        #expect(conflict.error?.field == "amount")
    }

    @Test func serialWhoseFirstAttemptFailedStaysFailedEvenWhenItCouldNowSucceed() async throws {
        let fixture = try EngineFixture()
        // 2,000,000.00 general account; 2,500,000.00 exceeds it (no overdraft line there).
        let order = try fixture.order("1500000.00", from: F.aGeneral, serial: "ERP-FAIL")
        let first = try await fixture.engine.submit(order)
        #expect(first.status == .failed)
        #expect(first.error?.code == .limitExceeded)
        try fixture.reopen()
        let again = try await fixture.engine.submit(order)
        #expect(again.replayed)
        #expect(again.status == .failed)
        #expect(again.error?.code == .limitExceeded)
        #expect(again.bankReference == first.bankReference)
        try await fixture.expectInvariants()
    }

    @Test func theSameSerialTwiceInOneGroupCommitIsAppliedOnce() async throws {
        let fixture = try EngineFixture()
        let order = try fixture.order("100.00", serial: "ERP-TWICE")
        let results = try await fixture.engine.submit([order, order])
        #expect(!results[0].replayed && results[1].replayed)
        #expect(results[0].bankReference == results[1].bankReference)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").balanceMinor == 1_000_000_000 - 10_000)
        try await fixture.expectInvariants()
    }

    @Test func idempotencyHoldsAcrossRestarts() async throws {
        let fixture = try EngineFixture()
        let order = try fixture.order("10.00", serial: "ERP-R1")
        let first = try await fixture.engine.submit(order)
        try fixture.reopen()
        let again = try await fixture.engine.submit(order)
        #expect(again.replayed && again.bankReference == first.bankReference)
        var changed = order
        changed.amount = Money(minorUnits: 999)
        #expect(try await fixture.engine.submit(changed).error?.field == "amount")
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").balanceMinor == 1_000_000_000 - 1_000)
        try await fixture.expectInvariants()
    }

    @Test func overdraftLineIsUsableButNeverCrossed() async throws {
        let fixture = try EngineFixture { configuration in
            configuration.limits = []
            configuration.seed.corporations[0].approvalRules = []
        }
        // 10,000,000.00 + 500,000.00 overdraft line.
        let within = try await fixture.engine.submit(try fixture.order("10400000.00"))
        #expect(within.status == .settled)
        let beyond = try await fixture.engine.submit(try fixture.order("100000.01"))
        #expect(beyond.status == .failed)
        #expect(beyond.error?.code == .insufficientFunds)
        let exact = try await fixture.engine.submit(try fixture.order("100000.00"))
        #expect(exact.status == .settled)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").availableMinor == -50_000_000)
        try await fixture.expectInvariants()
    }

    static func checkCase(_ name: String, _ f: EngineFixture) throws -> PaymentOrder {
        switch name {
        case "emptySerial": return try f.order("1.00", serial: "")
        case "takenSerial": return try f.order("2.00", serial: "TAKEN")
        case "unknownCorporation": return try f.order("1.00", corporation: "NOBODY01")
        case "unknownOperator": return try f.order("1.00", operatorId: "GHOST")
        case "approverAsMaker": return try f.order("1.00", operatorId: "APPR01")
        case "unboundCertificate":
            var order = try f.order("1.00")
            order.certificateFingerprint = f.fingerprint(of: "APPR01", corporation: "CORPA001")
            return order
        case "foreignDebitAccount": return try f.order("1.00", from: F.aBasic, to: F.fundMain, corporation: "CORPB001")
        case "unknownPayee": return try f.order("1.00", to: "6229999999999999")
        case "frozenDebit": return try f.order("1.00", from: F.aFrozen)
        case "sameAccount": return try f.order("1.00", to: F.aBasic)
        case "pastValueDate": return try f.order("1.00", valueDate: F.today.adding(days: -1))
        case "farValueDate": return try f.order("1.00", valueDate: F.today.adding(days: 31))
        case "hvpsForInternal": return try f.order("1.00", channel: .hvps)
        case "ibpsOverCap": return try f.order("60000.00", to: "6217000011112222", bank: F.otherBank, channel: .ibps)
        case "overMakerLimit": return try f.order("5000000.01")
        default: return try f.order("99000.00", from: F.aGeneral, to: F.bBasic)
        }
    }

    /// One table walks the submission checks in their documented order.
    @Test(arguments: [
        (EngineErrorCode.requestInvalid, "emptySerial"), (.serialConflict, "takenSerial"),
        (.corporationUnknown, "unknownCorporation"), (.operatorUnknown, "unknownOperator"),
        (.permissionDenied, "unboundCertificate"), (.permissionDenied, "approverAsMaker"), (.accountUnknown, "foreignDebitAccount"), (.accountUnknown, "unknownPayee"),
        (.accountNotActive, "frozenDebit"), (.sameAccount, "sameAccount"), (.valueDateInvalid, "pastValueDate"),
        (.valueDateInvalid, "farValueDate"), (.channelNotAllowed, "hvpsForInternal"), (.channelNotAllowed, "ibpsOverCap"),
        (.limitExceeded, "overMakerLimit"), (.insufficientFunds, "insufficientFunds"),
    ])
    func submissionChecksRunInDocumentedOrder(code: EngineErrorCode, name: String) async throws {
        let fixture = try EngineFixture { configuration in
            // Make insufficientFunds reachable on the general account without crossing its limits.
            configuration.seed.corporations[0].accounts[1].openingBalance = "50000.00"
        }
        _ = try await fixture.engine.submit(try fixture.order("1.00", serial: "TAKEN"))
        let result = try await fixture.engine.submit(try Self.checkCase(name, fixture))
        #expect(result.error?.code == code, "\(String(describing: result.error))")
        #expect(result.status == .failed)
        try await fixture.expectInvariants()
    }

    @Test func makerSigningWithABoundCertificateIsAccepted() async throws {
        let fixture = try EngineFixture()
        var order = try fixture.order("1.00")
        order.certificateFingerprint = fixture.fingerprint(of: "MAKER01", corporation: "CORPA001").uppercased()
        #expect(try await fixture.engine.submit(order).status == .settled)
    }

    @Test func concurrentSubmissionsShareGroupCommitsAndAllSettle() async throws {
        let fixture = try EngineFixture()
        let orders = try (0..<300).map { _ in try fixture.order("1.00", from: F.aBasic, to: F.bBasic) }
        let engine = fixture.engine
        let results = try await withThrowingTaskGroup(of: CommandResult.self) { group in
            for order in orders { group.addTask { try await engine.submit(order) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 300)
        #expect(results.allSatisfy { $0.status == .settled })
        // Group commit: the 300 commands (plus the fixture's none) shared fewer transactions.
        let statistics = engine.commitStatistics
        #expect(statistics.commands == 300)
        #expect(statistics.transactions < 300)
        #expect(Set(results.compactMap(\.bankReference)).count == 300)
        #expect(try await fixture.balance(F.bBasic, corporation: "CORPB001").balanceMinor == 300_000_000 + 30_000)
        try await fixture.expectInvariants()
    }

    @Test func twoConcurrentPaymentsNeverTogetherPassADailyLimit() async throws {
        // Account daily limit on the general account: 1,000,000.00. Two payments of 600,000.00.
        for _ in 0..<5 {
            let fixture = try EngineFixture()
            let first = try fixture.order("600000.00", from: F.aGeneral)
            let second = try fixture.order("600000.00", from: F.aGeneral)
            let engine = fixture.engine
            async let a = engine.submit(first)
            async let b = engine.submit(second)
            let results = try await [a, b]
            #expect(results.filter { $0.status == .settled || $0.status == .pendingApproval }.count == 1)
            let refused = try #require(results.first { $0.status == .failed })
            #expect(refused.error?.code == .limitExceeded)
            #expect(refused.error?.ruleId == "L-A-GENERAL-DAILY")
            #expect(refused.error?.headroom == 40_000_000)
            try await fixture.expectInvariants()
        }
    }

    @Test func limitRejectionNamesTheRuleAndRemainingHeadroom() async throws {
        let fixture = try EngineFixture()
        #expect(try await fixture.engine.submit(try fixture.order("999999.00", from: F.aGeneral)).status != .failed)
        let refused = try await fixture.engine.submit(try fixture.order("1.01", from: F.aGeneral))
        #expect(refused.error?.code == .limitExceeded)
        #expect(refused.error?.ruleId == "L-A-GENERAL-DAILY")
        #expect(refused.error?.headroom == 100)
        // The next business day the daily bucket is fresh.
        fixture.clock.advance(seconds: 86_400)
        #expect(try await fixture.engine.submit(try fixture.order("1.01", from: F.aGeneral)).status == .settled)
        try await fixture.expectInvariants()
    }

    @Test func dailyCountLimitCountsPayments() async throws {
        let fixture = try EngineFixture { configuration in
            configuration.limits = [LimitRule(id: "COUNT3", scope: .operator(corporation: "CORPA001", operatorId: "MAKER01"), period: .dailyCount, max: 3)]
        }
        for _ in 0..<3 { #expect(try await fixture.engine.submit(try fixture.order("1.00")).status == .settled) }
        let fourth = try await fixture.engine.submit(try fixture.order("1.00"))
        #expect(fourth.error?.ruleId == "COUNT3")
        #expect(fourth.error?.headroom == 0)
    }

    @Test func balancesOfSeveralAccountsAtOnceIncludingVirtualSubAccounts() async throws {
        let fixture = try EngineFixture()
        let balances = try await fixture.engine.balances(corporation: "FUND0001", accounts: [F.fundMain, F.household101])
        #expect(balances.map(\.balanceMinor) == [10_000_000, 800_000])
        #expect(balances[1].parentAccount == F.fundMain)
        await #expect(throws: EngineError.self) {
            _ = try await fixture.engine.balances(corporation: "FUND0001", accounts: [F.aBasic])
        }
    }
}
