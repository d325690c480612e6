import DirectLinkLedger
import PropertyBased
import Testing

/// Properties of the pure ledger rules over generated inputs (swift-property-based shrinks a
/// failing input to a small one).
@Suite struct LedgerPropertyTests {
    @Test func formattedAmountsParseBackToTheSameMinorUnits() async {
        await propertyCheck(input: Gen.int64(in: 1...999_999_999_999_999)) { minor in
            #expect((try? AmountParser.parse(Money.format(minorUnits: minor)))?.minorUnits == minor)
        }
    }

    @Test func aTransferAlwaysBalancesAndAnyOtherLegBreaksIt() async {
        await propertyCheck(input: Gen.int64(in: 1...Int64.max / 2), Gen.int64(in: -1_000...1_000)) { amount, skew in
            let set = PostingSet.transfer(from: "A", to: "B", amount: Money(minorUnits: amount))
            #expect(set.postings.reduce(0) { $0 + $1.amountMinor } == 0)
            let skewed = PostingSet([Posting(account: "A", amountMinor: -amount, currency: .cny),
                                     Posting(account: "B", amountMinor: amount + skew, currency: .cny)])
            #expect((skewed != nil) == (skew == 0))
        }
    }

    @Test func shanghaiDatesRoundTripThroughDaysAndMidnight() async {
        await propertyCheck(input: Gen.int64(in: 0...4_000_000_000)) { epoch in
            let date = BusinessDate(epochSeconds: epoch)
            #expect(BusinessDate(daysSinceEpoch: date.daysSinceEpoch) == date)
            let midnight = ShanghaiTime.startOfDay(date)
            #expect(midnight <= epoch && epoch < midnight + 86_400)
            #expect(BusinessDate(date.description) == date)
        }
    }

    @Test func consumingOnlyWhatTheCheckAllowsNeverExceedsTheLimit() async {
        let book = LimitBook([LimitRule(id: "D", scope: .corporation("C"), period: .daily, max: 1_000_000),
                              LimitRule(id: "N", scope: .corporation("C"), period: .dailyCount, max: 25)])
        let date = BusinessDate(year: 2026, month: 11, day: 25)!
        await propertyCheck(input: Gen.int64(in: 1...200_000).array(of: 1...60)) { amounts in
            var usage: [String: LimitUsage] = [:]
            for amount in amounts {
                let subject = LimitSubject(accessChannel: .directLink, corporation: "C", account: "X", operatorId: "O",
                                           transactionType: "PAY.SINGLE", amount: Money(minorUnits: amount))
                if case .success(let consumptions) = book.check(subject, on: date, usage: { usage[$0] ?? LimitUsage() }) {
                    for consumption in consumptions {
                        usage[consumption.usageKey, default: LimitUsage()].amountMinor += consumption.amountMinor
                        usage[consumption.usageKey, default: LimitUsage()].count += consumption.count
                    }
                }
                #expect(usage["D@2026-11-25", default: LimitUsage()].amountMinor <= 1_000_000)
                #expect(usage["N@2026-11-25", default: LimitUsage()].count <= 25)
            }
        }
    }

    @Test func noFlowIsApprovedWithoutEnoughDistinctEligibleApprovers() async {
        let rule = ApprovalRule(id: "R", condition: ApprovalCondition(),
                                levels: [ApprovalLevel(role: "approver", required: 2), ApprovalLevel(role: "admin", required: 1)])
        let people = ["MAKER", "A1", "A2", "A3", "BOSS"]
        let roles: [String: Set<String>] = ["MAKER": ["approver"], "A1": ["approver"], "A2": ["approver"], "A3": ["approver"], "BOSS": ["admin"]]
        await propertyCheck(input: Gen.element(of: people).array(of: 0...12)) { actors in
            var flow = ApprovalFlow(rule: rule, maker: "MAKER")
            for person in actors.compactMap({ $0 }) {
                _ = flow.act(ApprovalRecord(level: 0, operatorId: person, decision: .approve, orderDigest: "d", messageDigest: "m",
                                            certificateFingerprint: "f", atEpochSeconds: 0), roles: roles[person] ?? [])
            }
            let approvers = flow.records.map(\.operatorId)
            #expect(!approvers.contains("MAKER"))
            #expect(Set(approvers).count == approvers.count)
            if flow.status == .approved {
                #expect(flow.records.filter { $0.level == 0 }.count == 2)
                #expect(flow.records.filter { $0.level == 1 }.map(\.operatorId) == ["BOSS"])
            }
        }
    }
}
