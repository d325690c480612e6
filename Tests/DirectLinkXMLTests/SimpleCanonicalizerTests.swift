import Testing
@testable import DirectLinkXML

/// The direct serialiser must give libxml2's exclusive canonical form byte for byte on every shape it accepts,
/// and must decline (fall back to libxml2) on every shape it does not.
struct SimpleCanonicalizerTests {
    static let signature = """
        <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>
        <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
          <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"></ds:SignatureMethod>
        <ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
        <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>
        <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><!-- c --><ds:DigestValue>q1w2&#xD;e3==</ds:DigestValue>
        </ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>
        """

    /// Documents whose signed part and SignedInfo the fast path accepts.
    static let simple: [String] = [
        "<Message xmlns=\"urn:directlink:1\"><Head><TxCode>PAY.SINGLE</TxCode></Head><Body><SinglePayment/></Body>\(signature)</Message>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- leading -->\n<Message xmlns=\"urn:directlink:1\">\n  <Head z=\"1\" a=\"&quot;&amp;&lt;&#9;&#10;&#13;>\" m='x'>\r\n<RetMsg>a &amp; b &lt; c &gt; d \"e\" 'f' &#xD;</RetMsg>\n</Head>\n  <Body><P><![CDATA[x < y & z]]><!-- gone -->1000<!---->.00</P></Body>\n\(signature)\n</Message>\n<!-- trailing -->",
        "<m:Message xmlns:m=\"urn:directlink:1\" xmlns:unused=\"urn:u\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><m:Head><m:Name>中文 ünï</m:Name></m:Head><m:Body/>\(signature)</m:Message>",
        "<Message xmlns=\"urn:directlink:1\">\(signature)<Head/><Body><Inner xmlns=\"urn:directlink:1\"><Deeper/></Inner></Body></Message>",
        "<Message xmlns=\"urn:directlink:1\"><Head/><Body/><Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo><CanonicalizationMethod Algorithm=\"x\"/></SignedInfo></Signature></Message>",
    ]

    /// Shapes that need libxml2: another namespace, a prefixed attribute, an element in no namespace, a prefix change.
    static let declined: [String] = [
        "<Message xmlns=\"urn:directlink:1\"><Head><x:Ext xmlns:x=\"urn:x\"/></Head><Body/>\(signature)</Message>",
        "<Message xmlns=\"urn:directlink:1\" xmlns:x=\"urn:x\"><Head x:attr=\"1\"/><Body/>\(signature)</Message>",
        "<Message xmlns=\"urn:directlink:1\"><Head xml:lang=\"zh\"/><Body/>\(signature)</Message>",
        "<Message xmlns=\"urn:directlink:1\"><Head><Bare xmlns=\"\"/></Head><Body/>\(signature)</Message>",
        "<m:Message xmlns:m=\"urn:directlink:1\"><n:Head xmlns:n=\"urn:directlink:1\"/><m:Body/>\(signature)</m:Message>",
        "<Message><Head/><Body/>\(signature)</Message>",
    ]

    static func signatureElement(_ document: XMLDocument) throws -> XMLElement {
        try #require(document.root.children.first { $0.name == "Signature" })
    }

    @Test(arguments: simple)
    func fastPathMatchesLibxml2(_ text: String) throws {
        let document = try XMLDocument.parse(text.bytes)
        let signature = try Self.signatureElement(document)
        let fast = try #require(document.simpleExclusiveCanonicalization(excluding: signature))
        #expect(fast == (try document.libxml2ExclusiveCanonicalization(excluding: signature)))
        let signedInfo = try #require(signature.children.first)
        let fastInfo = try #require(document.simpleExclusiveCanonicalization(of: signedInfo))
        #expect(fastInfo == (try document.libxml2ExclusiveCanonicalization(of: signedInfo)))
        for element in document.root.descendants {
            if let subtree = document.simpleExclusiveCanonicalization(of: element) {
                #expect(subtree == (try document.libxml2ExclusiveCanonicalization(of: element)), "\(element.path)")
            }
        }
    }

    @Test(arguments: declined)
    func otherShapesFallBackToLibxml2(_ text: String) throws {
        let document = try XMLDocument.parse(text.bytes)
        let signature = try Self.signatureElement(document)
        #expect(document.simpleExclusiveCanonicalization(excluding: signature) == nil)
        // The public entry point still gives libxml2's answer.
        #expect(try document.exclusiveCanonicalization(excluding: signature) == (try document.libxml2ExclusiveCanonicalization(excluding: signature)))
    }

    @Test func everyFixtureMessageTakesTheFastPathWithTheSameBytes() throws {
        for name in ["balance-query", "batch-payment", "single-payment", "single-payment-gbk", "approve", "detail-query"] {
            let document = try XMLDocument.parse(try Repository.bytes("Fixtures/messages/corpa/\(name).xml"))
            let body = try #require(document.root.children.last)
            let fast = try #require(document.simpleExclusiveCanonicalization(excluding: body), "\(name)")
            #expect(fast == (try document.libxml2ExclusiveCanonicalization(excluding: body)), "\(name)")
            let transaction = try #require(body.children.first)
            #expect(document.simpleExclusiveCanonicalization(of: transaction) == (try document.libxml2ExclusiveCanonicalization(of: transaction)), "\(name)")
        }
    }
}
