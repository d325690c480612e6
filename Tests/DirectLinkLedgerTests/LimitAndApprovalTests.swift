import DirectLinkLedger
import Testing

@Suite struct LimitBookTests {
    static let date = BusinessDate(year: 2026, month: 11, day: 25)!
    static func subject(_ minor: Int64, account: String = "ACC1") -> LimitSubject {
        LimitSubject(accessChannel: .directLink, corporation: "C1", account: account, operatorId: "OP", transactionType: "PAY.SINGLE",
                     amount: Money(minorUnits: minor))
    }

    @Test func checksInScopeOrderAndNamesTheFirstRefusingRuleWithHeadroom() {
        let book = LimitBook([
            LimitRule(id: "TYPE", scope: .transactionType("PAY.SINGLE"), period: .perTransaction, max: 10),
            LimitRule(id: "CORP", scope: .corporation("C1"), period: .daily, max: 100),
            LimitRule(id: "BANK", scope: .bankChannel(.directLink), period: .perTransaction, max: 1_000),
        ])
        #expect(book.applicableRules(for: Self.subject(1)).map(\.id) == ["BANK", "CORP", "TYPE"])
        let used = ["CORP@2026-11-25": LimitUsage(amountMinor: 95, count: 3)]
        switch book.check(Self.subject(20), on: Self.date, usage: { used[$0] ?? LimitUsage() }) {
        case .success: Issue.record("should refuse")
        case .failure(let error):
            #expect(error.code == .limitExceeded)
            #expect(error.ruleId == "CORP")
            #expect(error.headroom == 5)
        }
    }

    @Test func periodsUseShanghaiDayMonthAndYearBuckets() {
        let rules = [LimitPeriod.daily, .monthly, .yearly, .dailyCount, .perTransaction].map {
            LimitRule(id: $0.rawValue, scope: .account("ACC1"), period: $0, max: 1)
        }
        #expect(LimitBook(rules).usageKeys(on: Self.date) == ["DAILY@2026-11-25", "MONTHLY@2026-11", "YEARLY@2026", "DAILY_COUNT@2026-11-25", nil])
    }

    @Test func dailyCountCountsAndIgnoresAmountAndOtherCurrencies() {
        let book = LimitBook([LimitRule(id: "N", scope: .account("ACC1"), period: .dailyCount, max: 2),
                              LimitRule(id: "USD", scope: .account("ACC1"), period: .daily, max: 1, currency: .usd)])
        let result = book.check(Self.subject(1_000_000), on: Self.date, usage: { _ in LimitUsage(amountMinor: 0, count: 1) })
        #expect((try? result.get())?.map(\.count) == [1])
        let full = book.check(Self.subject(1), on: Self.date, usage: { _ in LimitUsage(amountMinor: 0, count: 2) })
        guard case .failure(let error) = full else {
            Issue.record("a third payment must be refused")
            return
        }
        #expect(error.ruleId == "N" && error.headroom == 0)
    }

    @Test func exactlyTheMaximumPassesAndOneMoreFails() {
        let book = LimitBook([LimitRule(id: "D", scope: .corporation("C1"), period: .daily, max: 100)])
        #expect((try? book.check(Self.subject(100), on: Self.date, usage: { _ in LimitUsage() }).get()) != nil)
        #expect((try? book.check(Self.subject(101), on: Self.date, usage: { _ in LimitUsage() }).get()) == nil)
        let headroom = book.headroom(for: Self.subject(60), on: Self.date, usage: { _ in LimitUsage(amountMinor: 50, count: 1) })
        #expect(headroom.map(\.ruleId) == ["D"] && headroom.map(\.remaining) == [50] && headroom.map(\.wouldPass) == [false])
    }
}

@Suite struct ApprovalFlowTests {
    static let twoLevels = ApprovalRule(id: "R", condition: ApprovalCondition(amountMinMinor: 100),
                                        levels: [ApprovalLevel(role: "approver", required: 2), ApprovalLevel(role: "admin", required: 1)])

    static func act(_ operatorId: String, _ decision: ApprovalDecisionKind = .approve) -> ApprovalRecord {
        ApprovalRecord(level: 0, operatorId: operatorId, decision: decision, orderDigest: "od", messageDigest: "md-\(operatorId)",
                       certificateFingerprint: "fp", atEpochSeconds: 1)
    }

    @Test func levelsAreSequentialAndNeedMOfN() {
        var flow = ApprovalFlow(rule: Self.twoLevels, maker: "MAKER")
        #expect(flow.act(Self.act("A1"), roles: ["approver"]) == nil)
        #expect(flow.currentLevel == 0 && flow.isPartiallyApproved)
        #expect(flow.act(Self.act("BOSS"), roles: ["admin"])?.code == .approverNotEligible)
        #expect(flow.act(Self.act("A2"), roles: ["approver"]) == nil)
        #expect(flow.currentLevel == 1)
        #expect(flow.act(Self.act("BOSS"), roles: ["admin"]) == nil)
        #expect(flow.status == .approved)
        #expect(flow.records.map(\.level) == [0, 0, 1])
    }

    @Test func refusalsAreCheckedInOrder() {
        var flow = ApprovalFlow(rule: Self.twoLevels, maker: "MAKER")
        #expect(flow.act(Self.act("MAKER"), roles: ["approver"])?.code == .approverIsMaker)
        #expect(flow.act(Self.act("A1"), roles: ["approver"]) == nil)
        #expect(flow.act(Self.act("A1"), roles: ["approver"])?.code == .approverAlreadyActed)
        #expect(flow.act(Self.act("X"), roles: ["viewer"])?.code == .approverNotEligible)
        #expect(flow.act(Self.act("A3", .reject), roles: ["approver"]) == nil)
        #expect(flow.status == .rejected)
        #expect(flow.act(Self.act("A4"), roles: ["approver"])?.code == .transitionNotAllowed)
    }

    @Test func firstMatchingRuleDecides() {
        let rules = [
            ApprovalRule(id: "NEW", condition: ApprovalCondition(amountMinMinor: 50, newBeneficiaryOnly: true), levels: [ApprovalLevel(role: "a", required: 1)]),
            ApprovalRule(id: "ACCT", condition: ApprovalCondition(accounts: ["X"]), levels: [ApprovalLevel(role: "a", required: 1)]),
            ApprovalRule(id: "RANGE", condition: ApprovalCondition(transactionTypes: ["PAY.SINGLE"], amountMinMinor: 10, amountMaxMinor: 20),
                         levels: [ApprovalLevel(role: "a", required: 1)]),
        ]
        func pick(_ amount: Int64, _ account: String, _ new: Bool) -> String? {
            approvalRule(for: ApprovalSubject(transactionType: "PAY.SINGLE", amountMinor: amount, account: account, beneficiaryIsNew: new), in: rules)?.id
        }
        #expect(pick(60, "Y", true) == "NEW")
        #expect(pick(60, "X", false) == "ACCT")
        #expect(pick(15, "Y", false) == "RANGE")
        #expect(pick(21, "Y", false) == nil)
    }
}
