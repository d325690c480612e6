import DirectLinkEngine
import DirectLinkLedger
import Foundation
import Testing

@Suite struct LifecycleTests {
    typealias F = EngineFixture

    @Test(arguments: [
        // amount, urgent, hour, expected channel
        ("30000.00", false, 10, Channel.ibps),
        ("80000.00", false, 10, .beps),
        ("1200000.00", false, 10, .hvps),
        ("30000.00", true, 10, .hvps),
        ("1200000.00", false, 20, .beps),
        ("30000.00", true, 20, .ibps),
    ])
    func smartRoutingChoosesTheRail(amount: String, urgent: Bool, hour: Int, expected: Channel) async throws {
        let fixture = try EngineFixture(hour: hour) { configuration in
            configuration.seed.corporations[0].approvalRules = []
        }
        let result = try await fixture.engine.submit(try fixture.order(amount, to: "6217000011112222", bank: F.otherBank, urgent: urgent))
        #expect(result.channel == expected)
        #expect(result.status == .released)
    }

    @Test func hvpsIsClosedOnHolidaysAndARequestForItSaysSo() async throws {
        let fixture = try EngineFixture(date: BusinessDate(year: 2026, month: 10, day: 1)!)
        let result = try await fixture.engine.submit(try fixture.order("10.00", to: "6217000011112222", bank: F.otherBank, channel: .hvps))
        #expect(result.error?.code == .channelNotAllowed)
        #expect(result.error?.reason.contains("HVPS is closed") == true)
    }

    @Test func interBankPaymentIsHeldUntilClearingSettlesIt() async throws {
        let fixture = try EngineFixture()
        let released = try await fixture.engine.submit(try fixture.order("100.00", to: "6217000011112222", bank: F.otherBank))
        #expect(released.status == .released && released.iso20022 == "ACSP" && !released.isFinal)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").holdsMinor == 10_000)
        // Released payments cannot be cancelled.
        let cancel = try await fixture.engine.cancel(CancelCommand(corporation: "CORPA001", operatorId: "MAKER01", serial: "C1",
                                                                   payment: .serial(released.serial)))
        #expect(cancel.error?.code == .transitionNotAllowed)
        let report = try await fixture.engine.runHousekeeping()
        #expect(report.settled == 1)
        let view = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial(released.serial))
        #expect(view.status == .settled && view.isFinal)
        #expect(view.events.map(\.to) == [.approved, .released, .settled])
        let balance = try await fixture.balance(F.aBasic, corporation: "CORPA001")
        #expect(balance.holdsMinor == 0 && balance.balanceMinor == 1_000_000_000 - 10_000)
        try await fixture.expectInvariants()
    }

    @Test func clearingRejectionFailsThePaymentAndReleasesTheHold() async throws {
        let fixture = try EngineFixture()
        let released = try await fixture.engine.submit(try fixture.order("100.00", to: "6217000010000000", bank: F.otherBank))
        #expect(try await fixture.engine.runHousekeeping().failed == 1)
        let view = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial(released.serial))
        #expect(view.status == .failed && view.error?.code == .clearingRejected)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").availableMinor == 1_000_000_000)
        try await fixture.expectInvariants()
    }

    @Test func settledPaymentReturnedByTheBeneficiaryBankIsCreditedBack() async throws {
        let fixture = try EngineFixture()
        let released = try await fixture.engine.submit(try fixture.order("100.00", to: "6217000019999999", bank: F.otherBank))
        #expect(try await fixture.engine.runHousekeeping().settled == 1)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").balanceMinor == 1_000_000_000 - 10_000)
        #expect(try await fixture.engine.runHousekeeping().returned == 1)
        let view = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial(released.serial))
        #expect(view.status == .returned && view.error?.code == .returnedByBeneficiaryBank)
        #expect(view.events.map(\.to) == [.approved, .released, .settled, .returned])
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").balanceMinor == 1_000_000_000)
        try await fixture.expectInvariants()
    }

    @Test func futureValueDateSchedulesAndHousekeepingReleasesOnTheDay() async throws {
        let fixture = try EngineFixture()
        let scheduled = try await fixture.engine.submit(try fixture.order("100.00", valueDate: F.today.adding(days: 2)))
        #expect(scheduled.status == .scheduled)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").holdsMinor == 10_000)
        fixture.clock.advance(seconds: 86_400)
        #expect(try await fixture.engine.runHousekeeping().releasedFromSchedule == 0)
        fixture.clock.advance(seconds: 86_400)
        #expect(try await fixture.engine.runHousekeeping().releasedFromSchedule == 1)
        let view = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial(scheduled.serial))
        #expect(view.status == .settled)
        try await fixture.expectInvariants()
    }

    @Test func scheduledHvpsPaymentIsRoutedForItsValueDateAndWaitsForTheWindow() async throws {
        // Wednesday 20:00: HVPS is closed now, but the payment is for Thursday.
        let fixture = try EngineFixture(hour: 20)
        let order = try fixture.order("10.00", to: "6217000011112222", bank: F.otherBank, channel: .hvps, valueDate: F.today.adding(days: 1))
        let scheduled = try await fixture.engine.submit(order)
        #expect(scheduled.status == .scheduled && scheduled.channel == .hvps)
        fixture.clock.advance(seconds: 11 * 3600)  // Thursday 07:00
        #expect(try await fixture.engine.runHousekeeping().releasedFromSchedule == 0)
        fixture.clock.advance(seconds: 2 * 3600)   // Thursday 09:00
        #expect(try await fixture.engine.runHousekeeping().releasedFromSchedule == 1)
        let view = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial(scheduled.serial))
        // Released in this run, then settled by the same run's clearing cycle.
        #expect(view.events.map(\.to) == [.approved, .scheduled, .released, .settled])
        #expect(view.channel == .hvps)
        // A value date on a non-business day (Saturday) cannot use HVPS.
        let holiday = try await fixture.engine.submit(try fixture.order("10.00", to: "6217000011112222", bank: F.otherBank, channel: .hvps,
                                                                        valueDate: F.today.adding(days: 3)))
        #expect(holiday.error?.code == .channelNotAllowed)
        try await fixture.expectInvariants()
    }

    @Test func scheduledPaymentCanBeCancelledAndGivesBackHoldAndLimits() async throws {
        let fixture = try EngineFixture()
        let scheduled = try await fixture.engine.submit(try fixture.order("100.00", valueDate: F.today.adding(days: 1)))
        let cancelled = try await fixture.engine.cancel(CancelCommand(corporation: "CORPA001", operatorId: "MAKER01", serial: "CANCEL-1",
                                                                      payment: .bankReference(scheduled.bankReference ?? "")))
        #expect(cancelled.status == .cancelled && cancelled.iso20022 == "CANC")
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").holdsMinor == 0)
        let count = try await fixture.engine.preValidate(try fixture.order("1.00")).limits.first { $0.ruleId == "L-A-MAKER01-COUNT" }
        #expect(count?.remaining == 500)
        fixture.clock.advance(seconds: 86_400)
        #expect(try await fixture.engine.runHousekeeping().releasedFromSchedule == 0)
        try await fixture.expectInvariants()
    }

    @Test func onlyTheActiveMakerOrAnOperatorWithCancelRightsMayCancel() async throws {
        let fixture = try EngineFixture()
        let scheduled = try await fixture.engine.submit(try fixture.order("1.00", valueDate: F.today.adding(days: 1)))
        let byApprover = try await fixture.engine.cancel(CancelCommand(corporation: "CORPA001", operatorId: "APPR01", serial: "C-APPR",
                                                                       payment: .serial(scheduled.serial)))
        #expect(byApprover.error?.code == .permissionDenied)
        let byAdmin = try await fixture.engine.cancel(CancelCommand(corporation: "CORPA001", operatorId: "ADMIN01", serial: "C-ADMIN",
                                                                    payment: .serial(scheduled.serial)))
        #expect(byAdmin.status == .cancelled)
        try await fixture.expectInvariants()
    }

    @Test func transitionTableIsEnforcedForEveryRecordedEvent() async throws {
        let fixture = try EngineFixture()
        _ = try await fixture.engine.submit(try fixture.order("100.00", to: "6217000019999999", bank: F.otherBank))
        _ = try await fixture.engine.runHousekeeping()
        _ = try await fixture.engine.runHousekeeping()
        let view = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial("S1"))
        for event in view.events {
            #expect(event.from.map { $0.canTransition(to: event.to) } ?? false)
        }
    }
}
