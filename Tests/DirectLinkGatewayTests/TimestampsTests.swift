import Foundation
import Testing
@testable import DirectLinkGateway

struct TimestampsTests {
    static func reference(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    @Test func formatsBeijingTimeLikeFoundation() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let seconds = Double(Int64.random(in: -2_000_000_000...4_000_000_000, using: &generator))
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamps.format(date) == Self.reference(date))
        }
    }

    @Test(arguments: [
        ("2026-11-25T10:15:30+08:00", 1_795_572_930.0),
        ("2026-11-25T02:15:30Z", 1_795_572_930.0),
        ("2026-11-24T21:15:30-05:00", 1_795_572_930.0),
        ("2026-11-25T02:15:30.250Z", 1_795_572_930.25),
        ("2000-02-29T00:00:00Z", 951_782_400.0),
    ])
    func parsesOffsetsAndFractions(_ text: String, _ epoch: Double) throws {
        let date = try #require(Timestamps.parse(text))
        #expect(abs(date.timeIntervalSince1970 - epoch) < 0.000_001)
    }

    @Test(arguments: ["2026-11-25T10:15:30", "2026-11-25 10:15:30+08:00", "2026-13-25T10:15:30Z", "2026-11-25T10:15:30+8:00",
                      "2026-11-25T10:15:30.Z", "2026-11-25T10:15:30Zjunk", "", "x"])
    func rejectsTimestampsWithoutAnOffsetOrMalformed(_ text: String) {
        #expect(Timestamps.parse(text) == nil)
    }

    @Test func roundTrips() throws {
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        #expect(try #require(Timestamps.parse(Timestamps.format(now))) == now)
    }
}
