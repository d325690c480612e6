import DirectLinkLedger
import Testing

@Suite struct BusinessDateTests {
    @Test(arguments: [
        // UTC instant → Shanghai date: 2026-11-24T16:00Z is midnight 2026-11-25 in Shanghai.
        (Int64(1_795_536_000), "2026-11-25"), (1_795_535_999, "2026-11-24"), (0, "1970-01-01"), (951_753_600, "2000-02-29"),
    ])
    func shanghaiDateOfAnInstant(epoch: Int64, text: String) {
        #expect(BusinessDate(epochSeconds: epoch).description == text)
    }

    @Test func daysRoundTripAndWeekdaysAreRight() throws {
        for days in stride(from: Int64(-1000), to: 40_000, by: 37) {
            #expect(BusinessDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
        #expect(try #require(BusinessDate("2026-11-25")).isoWeekday == 3)
        #expect(BusinessDate(daysSinceEpoch: 20_782).description == "2026-11-25")
        #expect(try #require(BusinessDate("2026-11-29")).isoWeekday == 7)
        #expect(BusinessDate("2026-02-29") == nil)
        #expect(BusinessDate("2026-1-05") == nil)
        #expect(try #require(BusinessDate("2026-11-25")).monthKey == "2026-11")
    }

    @Test func calendarHonoursHolidaysAndMakeUpWorkingDays() throws {
        let holiday = try #require(BusinessDate("2026-10-01"))
        let makeUp = try #require(BusinessDate("2026-10-10"))  // a Saturday declared a working day
        let calendar = BusinessCalendar(holidays: [holiday], extraWorkingDays: [makeUp])
        #expect(!calendar.isBusinessDay(holiday))
        #expect(calendar.isBusinessDay(makeUp))
        #expect(!calendar.isBusinessDay(try #require(BusinessDate("2026-10-11"))))
        #expect(calendar.isBusinessDay(try #require(BusinessDate("2026-11-25"))))
    }
}

@Suite struct RouterTests {
    static let rules = RoutingRules(ownBankCode: "999999000001", hvpsThresholdMinor: 100_000_000, hvpsOpenMinute: 510,
                                    hvpsCloseMinute: 1035, ibpsCapMinor: 5_000_000)
    static let wednesday = BusinessDate(year: 2026, month: 11, day: 25)!
    static func at(_ hour: Int, _ minute: Int = 0, on date: BusinessDate = wednesday) -> Int64 {
        ShanghaiTime.startOfDay(date) + Int64(hour * 3600 + minute * 60)
    }

    @Test(arguments: [
        (false, Int64(10_000), false, nil, 10, Channel?.some(.ibps)),
        (false, 5_000_000, false, nil, 10, .ibps),
        (false, 5_000_001, false, nil, 10, .beps),
        (false, 100_000_000, false, nil, 10, .hvps),
        (false, 100_000_000, false, nil, 8, .beps),     // before 08:30
        (false, 10_000, true, nil, 17, .hvps),          // urgent, window open until 17:15
        (false, 10_000, true, nil, 18, .ibps),          // urgent after the window: IBPS if under its cap
        (true, 100_000_000, true, nil, 10, .internal),
        (false, 10_000, false, .beps, 10, .beps),
        (false, 10_000, false, .hvps, 20, nil),
        (false, 5_000_001, false, .ibps, 10, nil),
        (true, 10_000, false, .ibps, 10, nil),
        (false, 10_000, false, .internal, 10, nil),
    ] as [(Bool, Int64, Bool, Channel?, Int, Channel?)])
    func routesByRulesWindowAndRequest(internalPayee: Bool, amount: Int64, urgent: Bool, requested: Channel?, hour: Int, expected: Channel?) {
        let router = Router(rules: Self.rules, calendar: BusinessCalendar())
        let result = router.route(RoutingRequest(payeeIsInternal: internalPayee, amountMinor: amount, urgent: urgent, requested: requested),
                                  atEpochSeconds: Self.at(hour))
        switch result {
        case .success(let channel): #expect(channel == expected)
        case .failure(let error):
            #expect(expected == nil)
            #expect(error.code == .channelNotAllowed)
        }
    }

    @Test func hvpsIsClosedOnWeekendsAndHolidays() {
        let saturday = BusinessDate(year: 2026, month: 11, day: 28)!
        let holiday = BusinessDate(year: 2026, month: 10, day: 1)!
        let router = Router(rules: Self.rules, calendar: BusinessCalendar(holidays: [holiday]))
        #expect(!router.hvpsIsOpen(atEpochSeconds: Self.at(10, on: saturday)))
        #expect(!router.hvpsIsOpen(atEpochSeconds: Self.at(10, on: holiday)))
        #expect(router.hvpsIsOpen(atEpochSeconds: Self.at(8, 30)))
        #expect(!router.hvpsIsOpen(atEpochSeconds: Self.at(17, 15)))
    }
}
