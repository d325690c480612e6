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
        // Declarations libxml2 refuses (relative URI) or writes unescaped: left to libxml2 wherever they appear.
        "<Message xmlns=\"urn:directlink:1\" xmlns:x=\"relative\"><Head/><Body/>\(signature)</Message>",
        "<Message xmlns=\"urn:directlink:1\"><Head><H xmlns:y=\"rel/2\"/></Head><Body/>\(signature)</Message>",
        "<m:Message xmlns:m=\"urn:a&amp;b\"><m:Head/><m:Body/>\(signature)</m:Message>",
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
        // The public entry point still gives libxml2's answer, including its refusal.
        let libxml2 = try? document.libxml2ExclusiveCanonicalization(excluding: signature)
        #expect((try? document.exclusiveCanonicalization(excluding: signature)) == libxml2)
    }

    @Test func everyFixtureMessageTakesTheFastPathWithTheSameBytes() throws {
        for name in ["balance-query", "batch-payment", "single-payment", "single-payment-gbk", "approve", "detail-query"] {
            let document = try XMLDocument.parse(try Repository.bytes("Fixtures/messages/corpa/\(name).xml"))
            let body = try #require(document.root.children.last)
            let fast = try #require(document.simpleExclusiveCanonicalization(excluding: body), "\(name)")
            #expect(fast == (try document.libxml2ExclusiveCanonicalization(excluding: body)), "\(name)")
            let whole = try #require(document.simpleExclusiveCanonicalization(), "\(name)")
            #expect(whole == (try document.libxml2ExclusiveCanonicalization()), "\(name)")
            let transaction = try #require(body.children.first)
            #expect(document.simpleExclusiveCanonicalization(of: transaction) == (try document.libxml2ExclusiveCanonicalization(of: transaction)), "\(name)")
        }
    }
}

/// Differential test: random documents in the accepted shape (one namespace, unprefixed attributes, awkward text and
/// attribute values, comments, CDATA, character references) canonicalize to libxml2's bytes.
struct SimpleCanonicalizerDifferentialTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state
        }
    }

    static let pieces = ["a", "中文", " ", "\t", "\n", "&amp;", "&lt;", "&gt;", "\"", "'", "&#xD;", "&#x9;", "&#xA;", "0.00", "ü", ">", "]]&gt;"]

    static func text(_ random: inout Generator) -> String {
        (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random) ?? "" }.joined()
    }

    static func element(_ random: inout Generator, depth: Int, prefix: String) -> String {
        let name = ["A", "B", "Amount", "Name", "x"].randomElement(using: &random) ?? "A"
        let tag = prefix.isEmpty ? name : "\(prefix):\(name)"
        var attributes = ["z", "a", "m", "Algorithm", "URI", "b1"].shuffled(using: &random).prefix(Int.random(in: 0...3, using: &random))
            .map { " \($0)=\"\(text(&random).replacingOccurrences(of: "\"", with: "&quot;"))\"" }
        if Bool.random(using: &random) { attributes.shuffle(using: &random) }
        var content = ""
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            switch Int.random(in: 0...4, using: &random) {
            case 0 where depth < 5: content += element(&random, depth: depth + 1, prefix: prefix)
            case 1: content += "<!--\(["c", "-x", ""].randomElement(using: &random) ?? "")-->"
            case 2: content += "<![CDATA[\(["x<y", "&amp;", "]>", "\r\n"].randomElement(using: &random) ?? "")]]>"
            default: content += text(&random)
            }
        }
        return "<\(tag)\(attributes.joined())>\(content)</\(tag)>"
    }

    /// Responses are built in memory (no parse) and then digested whole by the signer.
    @Test func builtDocumentsMatchLibxml2() throws {
        var random = Generator(state: 7)
        for round in 0..<200 {
            let document = XMLDocument.create(rootName: "Message", namespaceURI: "urn:directlink:1")
            var parents = [document.root]
            for _ in 0..<12 {
                let parent = parents.randomElement(using: &random) ?? document.root
                let pieces = Self.pieces + ["<", "&", "\r", "\r\n"]
                let text = (0..<Int.random(in: 0...4, using: &random)).map { _ in pieces.randomElement(using: &random) ?? "" }.joined()
                let child = parent.appendElement(["Head", "RetMsg", "Amount", "B"].randomElement(using: &random) ?? "B",
                                                 namespaceURI: "urn:directlink:1", text: Bool.random(using: &random) ? text : nil)
                if Bool.random(using: &random) { child.setAttribute(["lang", "a", "z"].randomElement(using: &random) ?? "a", text) }
                parents.append(child)
            }
            let whole = try #require(document.simpleExclusiveCanonicalization(), "round \(round)")
            #expect(whole == (try document.libxml2ExclusiveCanonicalization()), "round \(round)")
        }
    }

    @Test func randomDocumentsMatchLibxml2() throws {
        var random = Generator(state: 20261125)
        for round in 0..<400 {
            let prefix = round % 3 == 0 ? "m" : ""
            let declaration = prefix.isEmpty ? "xmlns=\"urn:directlink:1\"" : "xmlns:m=\"urn:directlink:1\""
            let root = prefix.isEmpty ? "Message" : "m:Message"
            let inner = (0..<3).map { _ in Self.element(&random, depth: 1, prefix: prefix) }.joined(separator: "\n")
            let text = "<\(root) \(declaration)>\(inner)<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></\(root)>"
            let document = try XMLDocument.parse(text.bytes)
            let signature = try #require(document.root.children.last)
            let fast = try #require(document.simpleExclusiveCanonicalization(excluding: signature), "round \(round)")
            #expect(fast == (try document.libxml2ExclusiveCanonicalization(excluding: signature)), "round \(round): \(text)")
            // Unsigned, the whole document (what the signer digests).
            let unsigned = try XMLDocument.parse("<\(root) \(declaration)>\(inner)</\(root)>".bytes)
            let whole = try #require(unsigned.simpleExclusiveCanonicalization(), "round \(round)")
            #expect(whole == (try unsigned.libxml2ExclusiveCanonicalization()), "round \(round)")
            for element in document.root.children.dropLast() {
                let subtree = try #require(document.simpleExclusiveCanonicalization(of: element))
                #expect(subtree == (try document.libxml2ExclusiveCanonicalization(of: element)), "round \(round): \(element.path)")
            }
        }
    }
}
