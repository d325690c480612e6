import DirectLinkEngine
import DirectLinkLedger
import Testing

/// The daemon's SIGHUP replaces the limit rules in a running engine.
struct LimitReloadTests {
    @Test func reloadedLimitRulesApplyToTheNextPaymentWithoutARestart() async throws {
        let fixture = try EngineFixture()
        // MAKER01's per-transaction limit in conf/engine/limits.json is 5,000,000.00.
        let refused = try await fixture.engine.submit(try fixture.order("6000000.00"))
        #expect(refused.error?.code == .limitExceeded)
        #expect(refused.error?.ruleId == "L-A-MAKER01-TXN")

        let raised = fixture.configuration.limits.map { rule in
            var copy = rule
            if copy.id == "L-A-MAKER01-TXN" { copy.max = 700_000_000 }
            return copy
        }
        try await fixture.engine.reloadLimits(raised)
        let accepted = try await fixture.engine.submit(try fixture.order("6000000.00"))
        #expect(accepted.error?.code != .limitExceeded)

        // And back down: the same payment is refused again by the reloaded rule.
        try await fixture.engine.reloadLimits(fixture.configuration.limits)
        let again = try await fixture.engine.submit(try fixture.order("6000000.00"))
        #expect(again.error?.ruleId == "L-A-MAKER01-TXN")
        #expect(try await fixture.engine.verifyInvariants().isEmpty)
    }
}
