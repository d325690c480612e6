import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation
import Testing

/// Messages signed by an authorised operator are accepted, and the VerifiedMessage says exactly what was signed.
@Suite struct MessageVerifierAcceptanceTests {
    static let xmlCases: [(String, String)] = Fixture.makerKeys.flatMap { key in Fixture.messageNames.map { (key, $0) } }
    static let cmsCases: [(String, String)] = ["corpa-maker-rsa", "corpa-maker-ec"].flatMap { key in
        Fixture.messageNames.map { (key, $0) }
    }

    /// Head fields read from the unsigned template as plain text (no XML library involved).
    static func expectedHead(_ template: [UInt8]) throws -> MessageHead {
        let text = String(decoding: template, as: UTF8.self)  // the Head is ASCII even in the GBK fixture
        func field(_ name: String) throws -> String {
            guard let value = text.firstElementText(name) else { throw TestFailure("template has no \(name)") }
            return value
        }
        return MessageHead(txCode: try field("TxCode"), corpId: try field("CorpId"), operatorId: try field("OperatorId"),
                           serialNo: try field("SerialNo"), timestamp: try field("Timestamp"))
    }

    static func checkSigner(_ verified: VerifiedMessage, keyType: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(verified.signer.leaf.subjectAttribute("OU") == "CORPA001", sourceLocation: sourceLocation)
        #expect(verified.signer.leaf.subjectAttribute("CN") == "MAKER01", sourceLocation: sourceLocation)
        #expect(verified.signer.identity.keyType == keyType, sourceLocation: sourceLocation)
        #expect(verified.signer.identity.subject.contains("CN=MAKER01"), sourceLocation: sourceLocation)
        // Leaf, issuing CA, root: the chain ends at an anchor from ca-bundle.pem.
        #expect(verified.signer.chain.count == 3, sourceLocation: sourceLocation)
    }

    static func keyTypeName(_ key: String) -> String {
        switch key {
        case "corpa-maker-rsa": "RSA-2048"
        case "corpa-maker-ec": "EC-P256"
        default: "SM2"
        }
    }

    @Test(arguments: xmlCases)
    func signedXMLVerifiesWithHeadSignerAndDigest(key: String, message: String) throws {
        let template = try Fixture.message(message)
        let signed = try Fixture.signer(key).signXML(template)
        let verified = try Fixture.verifier().verify(signed)

        #expect(verified.binding == .xmlDSig)
        #expect(verified.head == (try Self.expectedHead(template)))
        Self.checkSigner(verified, keyType: Self.keyTypeName(key))
        #expect(verified.messageDigest == (try Digest.compute(.sha256, signed)).hexString)
        #expect(verified.messageDigest.count == 64)
        let signedText = String(decoding: verified.signedBytes, as: UTF8.self)
        #expect(!signedText.contains("Signature"))
        #expect(!signedText.contains(Namespace.xmlDSig))
        #expect(signedText.hasPrefix("<Message xmlns=\"urn:directlink:1\">"))
        #expect(verified.transaction.namespaceURI == Namespace.directLink)
    }

    @Test(arguments: cmsCases)
    func signedCMSVerifiesWithHeadSignerAndDigest(key: String, message: String) throws {
        let template = try Fixture.message(message)
        let signed = try Fixture.signer(key).signCMS(template)
        let verified = try Fixture.verifier().verify(signed)

        #expect(verified.binding == .cms)
        #expect(MessageVerifier.detectBinding(signed) == .cms)
        #expect(verified.head == (try Self.expectedHead(template)))
        Self.checkSigner(verified, keyType: Self.keyTypeName(key))
        #expect(verified.messageDigest == (try Digest.compute(.sha256, signed)).hexString)
        // CMS signs the attached content byte for byte.
        #expect(verified.signedBytes == template)
    }

    @Test func messageDigestIsOverTheBytesAsReceivedNotTheCanonicalForm() throws {
        let signed = try Fixture.signed()
        let verified = try Fixture.verifier().verify(signed)
        #expect(verified.messageDigest == (try Digest.compute(.sha256, signed)).hexString)
        #expect(verified.messageDigest != (try Digest.compute(.sha256, verified.signedBytes)).hexString)
    }

    @Test func sm2CannotBeUsedForTheCMSBinding() throws {
        #expect(throws: (any Error).self) {
            _ = try Fixture.signer("corpa-maker-sm2").signCMS(try Fixture.message("single-payment.xml"))
        }
    }

    // MARK: GBK

    /// The GBK bytes of 上海浦江物流有限公司, taken from the fixture file itself.
    static func gbkCreditName() throws -> [UInt8] {
        let file = try Fixture.message("single-payment-gbk.xml")
        let open = Array("<CreditName>".utf8), close = Array("</CreditName>".utf8)
        guard let start = file.firstRange(of: open)?.upperBound, let end = file[start...].firstRange(of: close)?.lowerBound else {
            throw TestFailure("fixture has no CreditName")
        }
        return Array(file[start..<end])
    }

    @Test(arguments: Fixture.makerKeys)
    func gbkMessageStaysGBKAndVerifies(key: String) throws {
        let gbkName = try Self.gbkCreditName()
        let utf8Name = Array("上海浦江物流有限公司".utf8)
        #expect(gbkName.count == 20)  // ten characters, two bytes each in GBK
        #expect(gbkName != utf8Name)

        let signed = try Fixture.signed("single-payment-gbk.xml", by: key)
        let declaration = String(decoding: signed.prefix(60), as: UTF8.self)
        #expect(declaration.hasPrefix("<?xml version=\"1.0\" encoding=\"GBK\"?>"))
        #expect(signed.firstRange(of: gbkName) != nil)
        #expect(signed.firstRange(of: utf8Name) == nil)

        let verified = try Fixture.verifier().verify(signed)
        let creditName = try #require(verified.transaction.child("CreditName", in: Namespace.directLink))
        #expect(creditName.text == "上海浦江物流有限公司")
        #expect(verified.head.serialNo == "A20261125000012")
        // The signed bytes are the canonical form, which is always UTF-8.
        #expect(verified.signedBytes.firstRange(of: utf8Name) != nil)
    }

    // MARK: What was verified is what is read

    @Test(arguments: Fixture.makerKeys)
    func commentInsideAmountIsNotSeenByTheEngine(key: String) throws {
        let template = try Fixture.singlePaymentText().replacingExactly("<Amount>12500.00</Amount>", with: "<Amount>1000<!---->.00</Amount>")
        let signed = try Fixture.signer(key).signXML(template.bytes)
        #expect(String(decoding: signed, as: UTF8.self).contains("1000<!---->.00"))

        let verified = try Fixture.verifier().verify(signed)
        let amount = try #require(verified.transaction.child("Amount", in: Namespace.directLink))
        #expect(amount.text == "1000.00")
        let signedText = String(decoding: verified.signedBytes, as: UTF8.self)
        #expect(!signedText.contains("<!--"))
        #expect(signedText.contains("<Amount>1000.00</Amount>"))
    }

    /// The engine reads the tree that was canonicalized; parsing the canonical bytes again must read the same.
    @Test(arguments: Fixture.makerKeys)
    func verifiedTreeReadsLikeItsCanonicalBytes(key: String) throws {
        let template = try Fixture.singlePaymentText()
            .replacingExactly("<Amount>12500.00</Amount>", with: "<Amount>1<!-- x -->2500<![CDATA[.00]]></Amount>")
        let verified = try Fixture.verifier().verify(try Fixture.signer(key).signXML(template.bytes))
        let reparsed = try XMLDocument.parse(verified.signedBytes)
        func fields(_ root: XMLElement) -> [String] {
            root.children.filter { !$0.isNamed("Signature", in: Namespace.xmlDSig) }
                .flatMap { [$0] + $0.descendants }
                .map { element in
                    let attributes = element.attributeNames.sorted().map { "\($0)=\(element.attribute($0) ?? "")" }
                    return "\(element.path)=\(element.hasChildElements ? "" : element.text)|\(attributes)"
                }
        }
        #expect(fields(verified.document.root) == fields(reparsed.root))
        #expect(verified.transaction.child("Amount", in: Namespace.directLink)?.text == "12500.00")
    }

    @Test func signatureAsFirstChildOfMessageIsAccepted() throws {
        let text = String(decoding: try Fixture.signed(), as: UTF8.self)
        let signature = try text.firstElement("ds:Signature")
        let moved = try text.replacingExactly(signature, with: "")
            .replacingExactly("<Message xmlns=\"urn:directlink:1\">", with: "<Message xmlns=\"urn:directlink:1\">" + signature)
        let verified = try Fixture.verifier().verify(moved.bytes)
        #expect(verified.head.serialNo == "A20261125000003")
    }

    @Test func signerMayPutIntermediatesInKeyInfoInAnyOrder() throws {
        let text = String(decoding: try Fixture.signed(by: "corpa-maker-ec"), as: UTF8.self)
        let leaf = try text.firstElement("ds:X509Certificate")
        let intermediate = "<ds:X509Certificate>\(Base64.encode(try Fixture.certificate("intermediate-ca").der))</ds:X509Certificate>"
        let reordered = try text.replacingExactly(leaf, with: intermediate + leaf)
        let verified = try Fixture.verifier().verify(reordered.bytes)
        #expect(verified.signer.leaf.subjectAttribute("CN") == "MAKER01")
    }
}
