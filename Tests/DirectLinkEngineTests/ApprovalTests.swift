import DirectLinkEngine
import DirectLinkLedger
import Foundation
import Testing

@Suite struct ApprovalTests {
    typealias F = EngineFixture

    @Test func largePaymentNeedsOneApproverThenTheAdminAndHoldsFundsMeanwhile() async throws {
        let fixture = try EngineFixture()
        let submitted = try await fixture.engine.submit(try fixture.order("200000.00"))
        #expect(submitted.status == .pendingApproval)
        #expect(submitted.iso20022 == "PDNG")
        #expect(!submitted.isFinal)
        let held = try await fixture.balance(F.aBasic, corporation: "CORPA001")
        #expect(held.balanceMinor == 1_000_000_000)
        #expect(held.availableMinor == 1_000_000_000 - 20_000_000)

        // Level 2 (admin) cannot act before level 1 is complete.
        #expect(try await fixture.approval(submitted, by: "ADMIN01").error?.code == .approverNotEligible)
        let first = try await fixture.approval(submitted, by: "APPR02")
        #expect(first.error == nil)
        #expect(first.status == .pendingApproval)
        #expect(first.iso20022 == "PATC")
        // One person approves once.
        #expect(try await fixture.approval(submitted, by: "APPR02").error?.code == .approverAlreadyActed)
        let done = try await fixture.approval(submitted, by: "ADMIN01")
        #expect(done.status == .settled)
        let after = try await fixture.balance(F.aBasic, corporation: "CORPA001")
        #expect(after.balanceMinor == 1_000_000_000 - 20_000_000)
        #expect(after.holdsMinor == 0)

        let view = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial(submitted.serial))
        #expect(view.events.map(\.to) == [.pendingApproval, .approved, .settled])
        let records = try #require(view.approval?.records)
        #expect(records.map(\.operatorId) == ["APPR02", "ADMIN01"])
        #expect(records.allSatisfy { $0.orderDigest == view.orderDigest && !$0.messageDigest.isEmpty })
        try await fixture.expectInvariants()
    }

    @Test func makerCanNeverApproveTheirOwnPayment() async throws {
        let fixture = try EngineFixture { configuration in
            // Give the maker the approver role too: still refused.
            configuration.seed.corporations[0].operators[0].roles = ["maker", "approver"]
        }
        let submitted = try await fixture.engine.submit(try fixture.order("200000.00"))
        #expect(try await fixture.approval(submitted, by: "MAKER01").error?.code == .approverIsMaker)
    }

    /// Holding the level's role is not enough: the role must also grant deciding (APPROVE) on the debited account.
    @Test func approverWhoseRoleDoesNotGrantTheDebitedAccountIsRefusedNamingTheGrant() async throws {
        let fixture = try EngineFixture { configuration in
            let roles = configuration.seed.corporations[0].roles
            let index = try! #require(roles.firstIndex { $0.name == "approver" })
            configuration.seed.corporations[0].roles[index].accounts = [EngineFixture.aGeneral]
        }
        let submitted = try await fixture.engine.submit(try fixture.order("200000.00"))
        #expect(submitted.status == .pendingApproval)
        let refused = try await fixture.approval(submitted, by: "APPR02")
        #expect(refused.error?.code == .permissionDenied, "\(String(describing: refused.error))")
        #expect(refused.error?.ruleId == "role:APPROVE:\(F.aBasic)")
        #expect(refused.status == .pendingApproval, "the refusal leaves the flow where it was")
        // The same payment from the account the role does grant: approved at level 1.
        let granted = try await fixture.engine.submit(try fixture.order("200000.00", from: F.aGeneral))
        #expect(try await fixture.approval(granted, by: "APPR02").error == nil)
        try await fixture.expectInvariants()
    }

    /// Refusals by the approval workflow name its rule.
    @Test func workflowRefusalsNameTheApprovalRule() async throws {
        let fixture = try EngineFixture()
        let submitted = try await fixture.engine.submit(try fixture.order("200000.00"))
        let byMaker = try await fixture.approval(submitted, by: "MAKER01")
        #expect(byMaker.error?.code == .approverIsMaker)
        let view = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial(submitted.serial))
        let rule = try #require(view.approval?.ruleId)
        #expect(byMaker.error?.ruleId == rule, "\(String(describing: byMaker.error))")
    }

    @Test func approverMustSignWithACertificateBoundToThem() async throws {
        let fixture = try EngineFixture()
        let submitted = try await fixture.engine.submit(try fixture.order("200000.00"))
        let view = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial(submitted.serial))
        let foreign = try await fixture.engine.decide(ApprovalCommand(
            corporation: "CORPA001", operatorId: "APPR01", serial: "A-FOREIGN", payment: .serial(submitted.serial), decision: .approve,
            orderDigest: view.orderDigest, messageDigest: F.digest("m"),
            certificateFingerprint: fixture.fingerprint(of: "APPR02", corporation: "CORPA001")))
        #expect(foreign.error?.code == .permissionDenied)
        #expect(try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial(submitted.serial)).approval?.records.isEmpty == true)
    }

    @Test func approvalMustNameTheDigestOfTheOriginalOrder() async throws {
        let fixture = try EngineFixture()
        let submitted = try await fixture.engine.submit(try fixture.order("200000.00"))
        let wrong = try await fixture.approval(submitted, by: "APPR01", orderDigest: String(repeating: "ab", count: 32))
        #expect(wrong.error?.code == .orderDigestMismatch)
        #expect(wrong.status == .pendingApproval)
    }

    @Test func anyRejectionEndsTheFlowAndReleasesHoldAndLimits() async throws {
        let fixture = try EngineFixture()
        let submitted = try await fixture.engine.submit(try fixture.order("200000.00"))
        _ = try await fixture.approval(submitted, by: "APPR01")
        let rejected = try await fixture.approval(submitted, by: "ADMIN01", decision: .reject)
        #expect(rejected.status == .rejected)
        #expect(rejected.iso20022 == "RJCT")
        #expect(rejected.error?.code == .rejectedByApprover)
        let balance = try await fixture.balance(F.aBasic, corporation: "CORPA001")
        #expect(balance.availableMinor == 1_000_000_000)
        // Limits released: the whole corporate daily limit (20,000,000.00) is usable again.
        let check = try await fixture.engine.preValidate(try fixture.order("200000.00"))
        #expect(check.limits.first { $0.ruleId == "L-A-DAILY" }?.remaining == 2_000_000_000)
        #expect(try await fixture.approval(submitted, by: "APPR03").error?.code == .transitionNotAllowed)
        try await fixture.expectInvariants()
    }

    @Test func villageCollectiveNeedsTwoOfThreeMembers() async throws {
        let fixture = try EngineFixture()
        let submitted = try await fixture.engine.submit(try fixture.order("5000.00", from: F.bBasic, to: F.fundMain, corporation: "CORPB001"))
        #expect(submitted.status == .pendingApproval)
        let one = try await fixture.approval(submitted, by: "MEMB03", corporation: "CORPB001")
        #expect(one.status == .pendingApproval && one.iso20022 == "PATC")
        let pendingFor1 = try await fixture.engine.pendingApprovals(corporation: "CORPB001", operatorId: "MEMB01")
        #expect(pendingFor1.map(\.bankReference) == [submitted.bankReference])
        #expect(pendingFor1.first?.approvedAtLevel == 1 && pendingFor1.first?.requiredAtLevel == 2)
        #expect(try await fixture.engine.pendingApprovals(corporation: "CORPB001", operatorId: "MEMB03").isEmpty)
        let two = try await fixture.approval(submitted, by: "MEMB01", corporation: "CORPB001")
        #expect(two.status == .settled)
        #expect(try await fixture.engine.pendingApprovals(corporation: "CORPB001", operatorId: "MEMB02").isEmpty)
        try await fixture.expectInvariants()
    }

    @Test func unfinishedFlowsExpireAndReleaseTheirHolds() async throws {
        let fixture = try EngineFixture()
        let submitted = try await fixture.engine.submit(try fixture.order("200000.00"))
        fixture.clock.advance(seconds: 86_399)
        #expect(try await fixture.engine.runHousekeeping().expired == 0)
        fixture.clock.advance(seconds: 1)
        #expect(try await fixture.engine.runHousekeeping().expired == 1)
        let view = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial(submitted.serial))
        #expect(view.status == .expired)
        #expect(view.error?.code == .approvalExpired)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").holdsMinor == 0)
        #expect(try await fixture.approval(submitted, by: "APPR01").error?.code == .transitionNotAllowed)
        try await fixture.expectInvariants()
    }

    @Test func aLateApprovalExpiresTheFlowInsteadOfApprovingIt() async throws {
        let fixture = try EngineFixture()
        let submitted = try await fixture.engine.submit(try fixture.order("200000.00"))
        #expect(try await fixture.engine.pendingApprovals(corporation: "CORPA001", operatorId: "APPR01").count == 1)
        fixture.clock.advance(seconds: 86_400)
        #expect(try await fixture.engine.pendingApprovals(corporation: "CORPA001", operatorId: "APPR01").isEmpty)
        let late = try await fixture.approval(submitted, by: "APPR01")
        #expect(late.error?.code == .approvalExpired)
        #expect(late.status == .expired)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").holdsMinor == 0)
        try await fixture.expectInvariants()
    }

    @Test func approvalInstructionsAreIdempotentToo() async throws {
        let fixture = try EngineFixture()
        let submitted = try await fixture.engine.submit(try fixture.order("200000.00"))
        let view = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial(submitted.serial))
        let command = ApprovalCommand(corporation: "CORPA001", operatorId: "APPR01", serial: "APPROVE-1",
                                      payment: .serial(submitted.serial), decision: .approve, orderDigest: view.orderDigest,
                                      messageDigest: F.digest("m"), certificateFingerprint: fixture.fingerprint(of: "APPR01", corporation: "CORPA001"))
        let first = try await fixture.engine.decide(command)
        let again = try await fixture.engine.decide(command)
        #expect(first.error == nil && again.replayed && again.iso20022 == "PATC")
        var other = command
        other.decision = .reject
        #expect(try await fixture.engine.decide(other).error?.field == "transactionType")
        // A payment serial cannot be reused for an instruction, nor the other way round.
        var clash = command
        clash.serial = submitted.serial
        #expect(try await fixture.engine.decide(clash).error?.code == .serialConflict)
        #expect(try await fixture.engine.submit(try fixture.order("1.00", serial: "APPROVE-1")).error?.code == .serialConflict)
    }

    @Test func newBeneficiaryRuleAppliesOnlyToTheFirstPaymentToAPayee() async throws {
        let fixture = try EngineFixture()
        // 60,000.00 to a payee never paid before: A-NEW-BENEFICIARY needs one approver.
        let first = try await fixture.engine.submit(try fixture.order("60000.00", to: F.fundMain))
        #expect(first.status == .pendingApproval)
        let second = try await fixture.engine.submit(try fixture.order("60000.00", to: F.fundMain))
        #expect(second.status == .settled)
    }

    @Test func preValidationReportsLevelsHeadroomAndRailWithoutHoldingAnything() async throws {
        let fixture = try EngineFixture()
        let order = try fixture.order("200000.00", to: "6217000011112222", bank: F.otherBank)
        let report = try await fixture.engine.preValidate(order)
        #expect(report.error == nil)
        #expect(report.channel == .beps)
        #expect(report.approvalRuleId == "A-LARGE")
        #expect(report.approvalLevels == [ApprovalLevel(role: "approver", required: 1), ApprovalLevel(role: "admin", required: 1)])
        #expect(Set(report.limits.map(\.ruleId)) == ["L-BANK-DL-TXN", "L-A-DAILY", "L-A-MONTHLY", "L-A-YEARLY", "L-A-MAKER01-COUNT", "L-A-MAKER01-TXN"])
        #expect(report.limits.allSatisfy { $0.wouldPass })
        #expect(report.fundsSufficient)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").holdsMinor == 0)
        // Nothing was recorded under the serial: submitting it now works.
        #expect(try await fixture.engine.submit(order).status == .pendingApproval)
        let tooMuch = try await fixture.engine.preValidate(try fixture.order("6000000.00"))
        #expect(tooMuch.error?.code == .limitExceeded)
        #expect(tooMuch.limits.first { $0.ruleId == "L-A-MAKER01-TXN" }?.wouldPass == false)
    }
}

@Suite struct AdminRuleTests {
    typealias F = EngineFixture

    @Test func corporationAdminDefinesItsOwnRulesAndTheyApplyToNewPayments() async throws {
        let fixture = try EngineFixture()
        let rules = [ApprovalRule(id: "A-ALL-TWO", condition: ApprovalCondition(amountMinMinor: 1),
                                  levels: [ApprovalLevel(role: "approver", required: 2)])]
        let command = DefineApprovalRulesCommand(corporation: "CORPA001", operatorId: "ADMIN01", serial: "RULES-1", rules: rules)
        #expect(try await fixture.engine.defineApprovalRules(command) == nil)
        let resent = try await fixture.engine.defineApprovalRules(command)
        #expect(resent == nil, "\(String(describing: resent))")
        #expect(try await fixture.engine.approvalRules(corporation: "CORPA001") == rules)
        let small = try await fixture.engine.submit(try fixture.order("1.00"))
        #expect(small.status == .pendingApproval)
        _ = try await fixture.approval(small, by: "APPR01")
        #expect(try await fixture.approval(small, by: "APPR02").status == .settled)
        // After a restart the rules are still in force (they live in the database, not the seed).
        try fixture.reopen()
        #expect(try await fixture.engine.submit(try fixture.order("1.00")).status == .pendingApproval)
        try await fixture.expectInvariants()
    }

    @Test func onlyTheAdminMayDefineRulesAndOnlyFeasibleOnes() async throws {
        let fixture = try EngineFixture()
        let rules = [ApprovalRule(id: "X", condition: ApprovalCondition(), levels: [ApprovalLevel(role: "approver", required: 1)])]
        let byMaker = DefineApprovalRulesCommand(corporation: "CORPA001", operatorId: "MAKER01", serial: "R-M", rules: rules)
        #expect(try await fixture.engine.defineApprovalRules(byMaker)?.code == .permissionDenied)
        let fourOfThree = [ApprovalRule(id: "Y", condition: ApprovalCondition(), levels: [ApprovalLevel(role: "approver", required: 4)])]
        let infeasible = DefineApprovalRulesCommand(corporation: "CORPA001", operatorId: "ADMIN01", serial: "R-4", rules: fourOfThree)
        #expect(try await fixture.engine.defineApprovalRules(infeasible)?.code == .requestInvalid)
        var changed = infeasible
        changed.rules = rules
        #expect(try await fixture.engine.defineApprovalRules(changed)?.field == "rules")
        #expect(try await fixture.engine.approvalRules(corporation: "CORPA001").map(\.id) == ["A-LARGE", "A-NEW-BENEFICIARY"])
    }
}
