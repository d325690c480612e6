import DirectLinkEngine
import DirectLinkLedger
import Foundation
import Testing

@Suite struct QueryTests {
    typealias F = EngineFixture

    @Test func detailsPagesAreStableWhileNewPostingsArrive() async throws {
        let fixture = try EngineFixture()
        for _ in 0..<7 { _ = try await fixture.engine.submit(try fixture.order("1.00")) }
        let engine = fixture.engine
        let first = try await engine.transactionDetails(corporation: "CORPB001", account: F.bBasic, from: F.today, to: F.today, pageSize: 3)
        // Opening balance + 7 payments = 8 entries.
        #expect(first.entries.count == 3 && first.more)
        _ = try await engine.submit(try fixture.order("2.00"))
        var seen = first.entries
        var token = first.continuation
        while let next = token {
            let page = try await engine.transactionDetails(corporation: "CORPB001", account: F.bBasic, from: F.today, to: F.today,
                                                           pageSize: 3, continuation: next)
            seen += page.entries
            token = page.continuation
            #expect(page.more == (page.continuation != nil))
        }
        #expect(seen.count == 9)
        #expect(seen.last?.amountMinor == 200)
        #expect(Set(seen.compactMap(\.bankReference)).count == 8)
        await #expect(throws: EngineError.self) {
            _ = try await engine.transactionDetails(corporation: "CORPB001", account: F.bBasic, from: F.today, to: F.today,
                                                    pageSize: 3, continuation: "garbage")
        }
    }

    @Test func detailsHonourTheDateRange() async throws {
        let fixture = try EngineFixture()
        _ = try await fixture.engine.submit(try fixture.order("1.00"))
        fixture.clock.advance(seconds: 86_400)
        _ = try await fixture.engine.submit(try fixture.order("2.00"))
        let tomorrow = F.today.adding(days: 1)
        let page = try await fixture.engine.transactionDetails(corporation: "CORPB001", account: F.bBasic, from: tomorrow, to: tomorrow, pageSize: 10)
        #expect(page.entries.map(\.amountMinor) == [200])
        #expect(!page.more && page.continuation == nil)
    }

    @Test func paymentStatusByBankReferenceOrSerialGivesTheWholeTruth() async throws {
        let fixture = try EngineFixture()
        let result = try await fixture.engine.submit(try fixture.order("1.00", serial: "Q-1"))
        let bySerial = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial("Q-1"))
        let byReference = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .bankReference(result.bankReference ?? ""))
        #expect(bySerial == byReference)
        #expect(bySerial.isFinal && bySerial.iso20022 == "ACSC" && bySerial.channel == .internal)
        // Another corporation cannot see it.
        await #expect(throws: EngineError.self) {
            _ = try await fixture.engine.paymentStatus(corporation: "CORPB001", reference: .serial("Q-1"))
        }
    }
}
