import Testing
@testable import DirectLinkXML

struct XMLSchemaTests {
    static let schema: XMLSchema? = try? XMLSchema(xsd: Repository.bytes("Schemas/directlink-1.xsd"))

    static let fixtures = [
        "balance-query", "detail-query", "single-payment", "single-payment-gbk", "prevalidate", "batch-payment",
        "payment-status", "cancel", "approve", "reject", "pending-approvals", "server-time",
    ]

    @Test(arguments: fixtures)
    func everyFixtureMessageConformsToTheSchema(_ name: String) throws {
        let schema = try #require(Self.schema)
        let doc = try XMLDocument.parse(try Repository.bytes("Fixtures/messages/corpa/\(name).xml"))
        try schema.validate(doc)
    }

    @Test func schemaErrorCarriesLineAndElementPath() throws {
        let schema = try #require(Self.schema)
        var text = String(decoding: try Repository.bytes("Fixtures/messages/corpa/single-payment.xml"), as: UTF8.self)
        text = text.replacingOccurrences(of: "<Amount>12500.00</Amount>", with: "<Amount>12,500.001</Amount>")
        let doc = try XMLDocument.parse(text.bytes)
        do {
            try schema.validate(doc)
            Issue.record("schema accepted a malformed amount")
        } catch {
            #expect(error.code == .schemaInvalid)
            #expect(error.path == "/Message/Body/SinglePayment/Amount")
            #expect(error.line == 16)
        }
    }

    @Test func schemaRequiresTimestampWithOffset() throws {
        let schema = try #require(Self.schema)
        var text = String(decoding: try Repository.bytes("Fixtures/messages/corpa/balance-query.xml"), as: UTF8.self)
        text = text.replacingOccurrences(of: "2026-11-25T10:15:30+08:00", with: "2026-11-25T10:15:30")
        #expect(throws: XMLError.self) { try schema.validate(try XMLDocument.parse(text.bytes)) }
    }
}
