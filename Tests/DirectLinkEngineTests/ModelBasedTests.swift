import DirectLinkEngine
import DirectLinkLedger
import Foundation
import Testing

/// SplitMix64: a tiny seeded generator so a failing sequence can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Replays random operations against the engine and against a plain in-memory oracle that
/// knows the documented rules (funds, overdraft, holds, approvals, the clearing simulator's
/// outcomes), and compares every balance and hold after each step.
@Suite struct ModelBasedTests {
    typealias F = EngineFixture

    struct Oracle {
        var balance: [String: Int64] = [:]
        var holds: [String: Int64] = [:]
        var overdraft: [String: Int64] = [:]
        /// Released inter-bank payments: debit account, amount, payee account, acceptance day.
        var released: [(String, Int64, String, Int)] = []
        var returnsDue: [(String, Int64, Int)] = []
        /// CORPA001's daily limit usage per business day (the only limit rule in this test).
        var consumed: [Int: Int64] = [:]
        var day = 0
        static let dailyMax: Int64 = 2_000_000_000

        func limitAllows(_ amount: Int64) -> Bool { amount <= Oracle.dailyMax - consumed[day, default: 0] }
        /// Pending CORPB payments by bank reference: debit, credit, amount, approvers so far, day submitted.
        var pending: [String: (String, String, Int64, Set<String>, Int)] = [:]

        func canCommit(_ account: String, _ amount: Int64) -> Bool {
            balance[account, default: 0] - holds[account, default: 0] + overdraft[account, default: 0] >= amount
        }

        mutating func housekeeping() {
            // Approval flows expire a day (86 400 s) after submission; the clock moves in whole days.
            for (reference, entry) in pending where entry.4 < day {
                holds[entry.0, default: 0] -= entry.2
                pending[reference] = nil
            }
            for (account, amount, accepted) in returnsDue {
                balance[account, default: 0] += amount
                consumed[accepted, default: 0] -= amount
            }
            returnsDue = []
            for (account, amount, payee, accepted) in released {
                holds[account, default: 0] -= amount
                if payee.hasSuffix("0000") {
                    consumed[accepted, default: 0] -= amount
                    continue
                }
                balance[account, default: 0] -= amount
                if payee.hasSuffix("9999") { returnsDue.append((account, amount, accepted)) }
            }
            released = []
        }
    }

    static let accounts: [(corporation: String, account: String)] = [
        ("CORPA001", F.aBasic), ("CORPA001", F.aGeneral), ("CORPB001", F.bBasic),
    ]

    @Test(arguments: [UInt64(1), 2, 3, 42])
    func randomOperationsKeepEngineAndOracleInStep(seed: UInt64) async throws {
        let fixture = try EngineFixture { configuration in
            configuration.limits = [LimitRule(id: "A-DAY", scope: .corporation("CORPA001"), period: .daily, max: Oracle.dailyMax)]
            configuration.seed.corporations[0].approvalRules = []
        }
        var random = SeededGenerator(state: seed)
        var oracle = Oracle()
        for (corporation, account) in Self.accounts + [("FUND0001", F.fundMain)] {
            let balance = try await fixture.balance(account, corporation: corporation)
            oracle.balance[account] = balance.balanceMinor
            oracle.overdraft[account] = balance.overdraftMinor
        }
        var sent: [PaymentOrder] = []
        for step in 0..<250 {
            let choice = Int.random(in: 0..<100, using: &random)
            if choice < 40 {
                try await intraBank(fixture, &oracle, &random, &sent)
            } else if choice < 60 {
                try await interBank(fixture, &oracle, &random)
            } else if choice < 72 {
                try await collectivePayment(fixture, &oracle, &random)
            } else if choice < 85, let reference = oracle.pending.keys.sorted().randomElement(using: &random) {
                try await collectiveDecision(fixture, &oracle, &random, reference)
            } else if choice < 92, let order = sent.randomElement(using: &random) {
                let again = try await fixture.engine.submit(order)
                #expect(again.replayed, "step \(step)")
            } else if choice < 95 {
                fixture.clock.advance(seconds: 86_400)
                oracle.day += 1
            } else {
                _ = try await fixture.engine.runHousekeeping()
                oracle.housekeeping()
            }
            for (corporation, account) in Self.accounts {
                let balance = try await fixture.balance(account, corporation: corporation)
                #expect(balance.balanceMinor == oracle.balance[account], "seed \(seed) step \(step) \(account) balance")
                #expect(balance.holdsMinor == oracle.holds[account, default: 0], "seed \(seed) step \(step) \(account) holds")
            }
        }
        try await fixture.expectInvariants()
    }

    func amount(_ random: inout SeededGenerator) -> Int64 {
        // Mostly small, sometimes large enough to hit the funds and overdraft boundaries.
        Bool.random(using: &random) ? Int64.random(in: 1...5_000_00, using: &random) : Int64.random(in: 1...900_000_000, using: &random)
    }

    func intraBank(_ fixture: EngineFixture, _ oracle: inout Oracle, _ random: inout SeededGenerator, _ sent: inout [PaymentOrder]) async throws {
        let debit = [F.aBasic, F.aGeneral].randomElement(using: &random) ?? F.aBasic
        let credit = [F.bBasic, debit == F.aBasic ? F.aGeneral : F.aBasic].randomElement(using: &random) ?? F.bBasic
        let value = amount(&random)
        var order = try fixture.order("1.00", from: debit, to: credit)
        order.amount = Money(minorUnits: value)
        let result = try await fixture.engine.submit(order)
        sent.append(order)
        if !oracle.limitAllows(value) {
            #expect(result.error?.code == .limitExceeded)
        } else if oracle.canCommit(debit, value) {
            oracle.consumed[oracle.day, default: 0] += value
            #expect(result.status == .settled)
            oracle.balance[debit, default: 0] -= value
            oracle.balance[credit, default: 0] += value
        } else {
            #expect(result.error?.code == .insufficientFunds)
        }
    }

    func interBank(_ fixture: EngineFixture, _ oracle: inout Oracle, _ random: inout SeededGenerator) async throws {
        let payee = ["6217000011112222", "6217000010000000", "6217000019999999"].randomElement(using: &random) ?? ""
        let value = amount(&random)
        var order = try fixture.order("1.00", from: F.aBasic, to: payee, bank: F.otherBank)
        order.amount = Money(minorUnits: value)
        let result = try await fixture.engine.submit(order)
        if !oracle.limitAllows(value) {
            #expect(result.error?.code == .limitExceeded)
        } else if oracle.canCommit(F.aBasic, value) {
            #expect(result.status == .released)
            oracle.consumed[oracle.day, default: 0] += value
            oracle.holds[F.aBasic, default: 0] += value
            oracle.released.append((F.aBasic, value, payee, oracle.day))
        } else {
            #expect(result.error?.code == .insufficientFunds)
        }
    }

    func collectivePayment(_ fixture: EngineFixture, _ oracle: inout Oracle, _ random: inout SeededGenerator) async throws {
        let value = Int64.random(in: 1...40_000_00, using: &random)
        var order = try fixture.order("1.00", from: F.bBasic, to: F.aGeneral, corporation: "CORPB001")
        order.amount = Money(minorUnits: value)
        let result = try await fixture.engine.submit(order)
        // CORPB001's daily limit is removed in this test; only funds can refuse.
        if oracle.canCommit(F.bBasic, value) {
            #expect(result.status == .pendingApproval)
            oracle.holds[F.bBasic, default: 0] += value
            oracle.pending[result.bankReference ?? ""] = (F.bBasic, F.aGeneral, value, [], oracle.day)
        } else {
            #expect(result.error?.code == .insufficientFunds)
        }
    }

    func collectiveDecision(_ fixture: EngineFixture, _ oracle: inout Oracle, _ random: inout SeededGenerator, _ reference: String) async throws {
        guard let (debit, credit, value, approvers, submitted) = oracle.pending[reference] else { return }
        let member = ["MEMB01", "MEMB02", "MEMB03"].randomElement(using: &random) ?? "MEMB01"
        let reject = Int.random(in: 0..<5, using: &random) == 0
        let view = try await fixture.engine.paymentStatus(corporation: "CORPB001", reference: .bankReference(reference))
        let result = try await fixture.engine.decide(ApprovalCommand(
            corporation: "CORPB001", operatorId: member, serial: fixture.nextSerial(), payment: .bankReference(reference),
            decision: reject ? .reject : .approve, orderDigest: view.orderDigest, messageDigest: "m",
            certificateFingerprint: fixture.fingerprint(of: member, corporation: "CORPB001")))
        if submitted < oracle.day {
            // Past its expiry time (housekeeping has not run yet): the decision expires it instead.
            #expect(result.error?.code == .approvalExpired || result.error?.code == .approverAlreadyActed)
            #expect(result.status == .expired || approvers.contains(member))
            if result.status == .expired {
                oracle.holds[debit, default: 0] -= value
                oracle.pending[reference] = nil
            }
        } else if approvers.contains(member) {
            #expect(result.error?.code == .approverAlreadyActed)
        } else if reject {
            #expect(result.status == .rejected)
            oracle.holds[debit, default: 0] -= value
            oracle.pending[reference] = nil
        } else if approvers.count == 1 {
            #expect(result.status == .settled)
            oracle.holds[debit, default: 0] -= value
            oracle.balance[debit, default: 0] -= value
            oracle.balance[credit, default: 0] += value
            oracle.pending[reference] = nil
        } else {
            #expect(result.status == .pendingApproval)
            oracle.pending[reference] = (debit, credit, value, approvers.union([member]), submitted)
        }
    }
}
