import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation
import Testing

/// Head and Body as the engine will read them: the values the schema validated, in any accepted encoding.
@Suite struct EnvelopeTests {
    /// The XSD types TxCode as xs:token and Timestamp as xs:dateTime, so surrounding white space is valid; the
    /// verifier must hand on the value the schema validated, not the raw text.
    @Test func headValuesAreReadAsTheSchemaCollapsesThem() throws {
        let template = try Fixture.singlePaymentText()
            .replacingExactly("<TxCode>PAY.SINGLE</TxCode>", with: "<TxCode>\n      PAY.SINGLE\n    </TxCode>")
            .replacingExactly("<Timestamp>2026-11-25T10:15:30+08:00</Timestamp>", with: "<Timestamp> 2026-11-25T10:15:30+08:00 </Timestamp>")
        let signed = try Fixture.signer("corpa-maker-ec").signXML(template.bytes)
        let verifier = try Fixture.verifier()
        // The schema alone accepts the document.
        try XMLSchema(xsd: try Repository.bytes("Schemas/directlink-1.xsd")).validate(try XMLDocument.parse(template.bytes))
        do {
            let verified = try verifier.verify(signed)
            #expect(verified.head.txCode == "PAY.SINGLE")
            #expect(verified.head.timestamp == "2026-11-25T10:15:30+08:00")
        } catch {
            Issue.record("a schema-valid message was rejected: \(error)")
        }
    }

    @Test(arguments: ["GBK", "GB18030", "gbk"])
    func chineseEncodingLabelsAreAccepted(label: String) throws {
        var bytes = try Fixture.message("single-payment-gbk.xml")
        let declaration = Array("encoding=\"GBK\"".utf8)
        let range = try #require(bytes.firstRange(of: declaration))
        bytes.replaceSubrange(range, with: Array("encoding=\"\(label)\"".utf8))
        let verified = try Fixture.verifier().verify(try Fixture.signer("corpa-maker-sm2").signXML(bytes))
        #expect(verified.transaction.child("CreditName", in: Namespace.directLink)?.text == "上海浦江物流有限公司")
    }

    @Test func utf8ByteOrderMarkIsAccepted() throws {
        let signed = [0xEF, 0xBB, 0xBF] + (try Fixture.signed(by: "corpa-maker-ec"))
        let verified = try Fixture.verifier().verify(signed)
        #expect(verified.messageDigest == (try Digest.compute(.sha256, signed)).hexString)
    }

    @Test func prefixedDirectLinkNamespaceIsTheSameMessage() throws {
        let template = try Fixture.singlePaymentText()
        let prefixed = template
            .replacingOccurrences(of: "<Message xmlns=\"urn:directlink:1\">", with: "<dl:Message xmlns:dl=\"urn:directlink:1\">")
            .replacingOccurrences(of: "</", with: "</dl:")
            .replacingOccurrences(of: "<(?!/|\\?|dl:Message)", with: "<dl:", options: .regularExpression)
        let verified = try Fixture.verifier().verify(try Fixture.signer("corpa-maker-ec").signXML(prefixed.bytes))
        #expect(verified.head.serialNo == "A20261125000003")
        #expect(verified.transaction.name == "SinglePayment")
    }

    @Test func bodyWithTwoTransactionsIsRejected() throws {
        let text = String(decoding: try Fixture.signed(), as: UTF8.self)
        let transaction = try text.firstElement("SinglePayment")
        #expect(try rejection(of: try text.replacingExactly(transaction, with: transaction + transaction)).code == .envelopeStructure)
    }

    @Test func unknownElementInMessageIsRejected() throws {
        let text = String(decoding: try Fixture.signed(), as: UTF8.self)
        let crafted = try text.replacingExactly("</Head>", with: "</Head><Extra xmlns=\"urn:x\"/>")
        #expect(try rejection(of: crafted).code == .envelopeStructure)
    }
}
