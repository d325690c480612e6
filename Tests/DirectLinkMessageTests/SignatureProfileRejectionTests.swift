import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation
import Testing

/// Attacks on the ds:Signature itself: wrapping, references, tampering and algorithm downgrades.
/// Where the attack changes SignedInfo, the document is re-signed with a valid digest and signature value, so the
/// code can only come from the profile rule under test.
@Suite struct SignatureProfileRejectionTests {
    static func signedText(by key: String = "corpa-maker-rsa") throws -> String {
        String(decoding: try Fixture.signed(by: key), as: UTF8.self)
    }

    static let messageStart = "<Message xmlns=\"urn:directlink:1\">"

    // MARK: Sanity: the re-signing helper produces messages the verifier accepts

    @Test(arguments: Fixture.makerKeys)
    func resignedUnchangedMessageIsAccepted(key: String) throws {
        let text = try Self.signedText(by: key)
        let resigned = try Resigner.resign(text, with: key)
        #expect(resigned != text.bytes || key == "corpa-maker-rsa")  // ECDSA and SM2 are randomised
        let verified = try Fixture.verifier().verify(resigned)
        #expect(verified.head.txCode == "PAY.SINGLE")
    }

    // MARK: Signature wrapping

    @Test func signatureMovedInsideBodyIsRejected() throws {
        let text = try Self.signedText()
        let signature = try text.firstElement("ds:Signature")
        let moved = try text.replacingExactly(signature, with: "")
            .replacingExactly("</SinglePayment>", with: signature + "</SinglePayment>")
        #expect(try rejection(of: moved).code == .signaturePlacement)
    }

    @Test func signatureDirectlyInsideBodyIsRejected() throws {
        let text = try Self.signedText()
        let signature = try text.firstElement("ds:Signature")
        let moved = try text.replacingExactly(signature, with: "")
            .replacingExactly("</Body>", with: signature + "</Body>")
        let found = try rejection(of: moved)
        // Body then holds two elements: the envelope rule fires before the placement rule.
        #expect(found.code == .envelopeStructure)
    }

    @Test func signatureBetweenHeadAndBodyIsRejected() throws {
        let text = try Self.signedText()
        let signature = try text.firstElement("ds:Signature")
        let moved = try text.replacingExactly(signature, with: "")
            .replacingExactly("</Head>", with: "</Head>" + signature)
        let found = try rejection(of: moved)
        #expect(found.code == .signaturePlacement)
        #expect(found.path == "/Message/Signature")
    }

    @Test func duplicatedBodyIsRejected() throws {
        let text = try Self.signedText()
        let forged = "<Body><SinglePayment><DebitAccount>310010000000001</DebitAccount><CreditAccount>6217000099999999999</CreditAccount><CreditName>Mallory</CreditName><CreditBankCode>105290000011</CreditBankCode><Amount>99999.00</Amount><Currency>CNY</Currency><Urgency>NORMAL</Urgency></SinglePayment></Body>"
        let doubled = try text.replacingExactly("</Head>", with: "</Head>" + forged)
        #expect(try rejection(of: doubled).code == .envelopeStructure)
    }

    @Test func duplicatedHeadIsRejected() throws {
        let text = try Self.signedText()
        let head = try text.firstElement("Head")
        let doubled = try text.replacingExactly(head, with: head.replacingExactly("A20261125000003", with: "A20261125999999") + head)
        #expect(try rejection(of: doubled).code == .envelopeStructure)
    }

    @Test func originalBodyWrappedInObjectWithForgedBodyOutsideIsRejected() throws {
        let text = try Self.signedText()
        let body = try text.firstElement("Body")
        let forged = try text
            .replacingExactly("<Amount>12500.00</Amount>", with: "<Amount>99999.00</Amount>")
            .replacingExactly("</ds:KeyInfo>", with: "</ds:KeyInfo><ds:Object>\(body.replacingExactly("<Body>", with: "<Body xmlns=\"urn:directlink:1\">"))</ds:Object>")
        #expect(try rejection(of: try Resigner.resign(forged)).code == .signatureStructure)
        #expect(try rejection(of: forged).code == .signatureStructure)
    }

    @Test func idBasedReferenceIsRejected() throws {
        let text = try Self.signedText().replacingExactly("<ds:Reference URI=\"\">", with: "<ds:Reference URI=\"#x\">")
        let found = try rejection(of: try Resigner.resign(text))
        #expect(found.code == .referenceRejected)
        #expect(found.path == "/Message/Signature/SignedInfo/Reference")
    }

    @Test func externalReferenceIsRejected() throws {
        let text = try Self.signedText().replacingExactly("<ds:Reference URI=\"\">", with: "<ds:Reference URI=\"http://evil.example/payment.xml\">")
        #expect(try rejection(of: try Resigner.resign(text)).code == .referenceRejected)
    }

    @Test func referenceWithoutURIIsRejected() throws {
        let text = try Self.signedText().replacingExactly("<ds:Reference URI=\"\">", with: "<ds:Reference>")
        #expect(try rejection(of: try Resigner.resign(text)).code == .referenceRejected)
    }

    @Test func idAttributeOnSignatureIsRejected() throws {
        let text = try Self.signedText().replacingExactly("<ds:SignedInfo>", with: "<ds:SignedInfo Id=\"si\">")
        #expect(try rejection(of: try Resigner.resign(text)).code == .referenceRejected)
    }

    @Test func twoReferencesAreRejected() throws {
        let text = try Self.signedText()
        let reference = try text.firstElement("ds:Reference")
        let doubled = try text.replacingExactly(reference, with: reference + reference)
        let found = try rejection(of: try Resigner.resign(doubled))
        #expect(found.code == .referenceRejected)
        #expect(found.path == "/Message/Signature/SignedInfo/Reference[2]")
    }

    @Test func secondSignatureIsRejected() throws {
        let text = try Self.signedText()
        let signature = try text.firstElement("ds:Signature")
        let twice = try text.replacingExactly(Self.messageStart, with: Self.messageStart + signature)
        #expect(try rejection(of: twice).code == .signatureMultiple)
    }

    @Test func secondSignatureNestedInBodyIsRejected() throws {
        let text = try Self.signedText()
        let signature = try text.firstElement("ds:Signature")
        let twice = try text.replacingExactly("</SinglePayment>", with: signature + "</SinglePayment>")
        #expect(try rejection(of: twice).code == .signatureMultiple)
    }

    @Test func unsignedMessageIsRejected() throws {
        #expect(try rejection(of: try Fixture.message("single-payment.xml")).code == .signatureMissing)
    }

    @Test func objectInsideSignatureIsRejected() throws {
        let text = try Self.signedText().replacingExactly("</ds:KeyInfo>", with: "</ds:KeyInfo><ds:Object/>")
        #expect(try rejection(of: text).code == .signatureStructure)
    }

    // MARK: Tampering

    @Test(arguments: [
        ("<Amount>12500.00</Amount>", "<Amount>92500.00</Amount>"),
        ("<SerialNo>A20261125000003</SerialNo>", "<SerialNo>A20261125000004</SerialNo>"),
        ("<CreditAccount>6217000010001234567</CreditAccount>", "<CreditAccount>6217000010001234568</CreditAccount>"),
        ("<TxCode>PAY.SINGLE</TxCode>", "<TxCode>PAY.PREVALIDATE</TxCode>"),
    ])
    func tamperedFieldIsDigestMismatch(original: String, tampered: String) throws {
        for key in Fixture.makerKeys {
            var text = try Self.signedText(by: key).replacingExactly(original, with: tampered)
            if tampered.contains("PAY.PREVALIDATE") {
                text = try text.replacingExactly("SinglePayment>", with: "PreValidate>", count: 2)
            }
            let found = try rejection(of: text)
            #expect(found.code == .digestMismatch, "\(key)")
        }
    }

    @Test func wrongDigestValueIsDigestMismatch() throws {
        let text = try Self.signedText()
        let digest = try #require(text.firstElementText("ds:DigestValue"))
        let wrong = Base64.encode([UInt8](repeating: 0x42, count: 32))
        let found = try rejection(of: try text.replacingExactly(digest, with: wrong))
        #expect(found.code == .digestMismatch)
    }

    @Test func signatureValueOverOtherDataIsSignatureInvalid() throws {
        let text = try Self.signedText(by: "corpa-maker-ec")
        let value = try #require(text.firstElementText("ds:SignatureValue"))
        let other = Base64.encode(try Fixture.key("corpa-maker-ec").sign(Array("other".utf8), algorithm: .ecdsaP256SHA256))
        #expect(try rejection(of: try text.replacingExactly(value, with: other)).code == .signatureInvalid)
    }

    @Test(arguments: ["corpa-maker-ec", "corpa-maker-sm2"])
    func derEncodedSignatureValueIsRejected(key: String) throws {
        let text = try Self.signedText(by: key)
        let der = try Resigner.resign(text, with: key) { ECSignatureEncoding.der(fromRaw: $0) }
        #expect(try rejection(of: der).code == .signatureValueFormat)
    }

    @Test func signatureValueThatIsNotBase64IsRejected() throws {
        let text = try Self.signedText()
        let value = try #require(text.firstElementText("ds:SignatureValue"))
        #expect(try rejection(of: try text.replacingExactly(value, with: "not*base64")).code == .signatureValueFormat)
    }

    // MARK: Algorithm downgrades and profile parameters

    static let canonicalization = "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
    static let rsaSHA256 = "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"
    static let sha256Digest = "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>"
    static let enveloped = "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
    static let excTransform = "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
    static let inclusiveNamespaces = "<ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"ds\"/>"

    static func signatureMethod(_ uri: String) -> String { "<ds:SignatureMethod Algorithm=\"\(uri)\"/>" }
    static func digestMethod(_ uri: String) -> String { "<ds:DigestMethod Algorithm=\"\(uri)\"/>" }

    struct Downgrade: CustomTestStringConvertible, Sendable {
        let name: String
        let original: String
        let replacement: String
        let code: RetCode
        var testDescription: String { name }
    }

    static let downgrades: [Downgrade] = [
        Downgrade(name: "rsa-sha1", original: rsaSHA256, replacement: signatureMethod("http://www.w3.org/2000/09/xmldsig#rsa-sha1"), code: .signatureAlgorithmRejected),
        Downgrade(name: "rsa-md5", original: rsaSHA256, replacement: signatureMethod("http://www.w3.org/2001/04/xmldsig-more#rsa-md5"), code: .signatureAlgorithmRejected),
        Downgrade(name: "hmac-sha256", original: rsaSHA256, replacement: signatureMethod("http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"), code: .signatureAlgorithmRejected),
        Downgrade(name: "hmac output length", original: rsaSHA256, replacement: "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"><ds:HMACOutputLength>80</ds:HMACOutputLength></ds:SignatureMethod>", code: .signatureAlgorithmRejected),
        Downgrade(name: "dsa-sha1", original: rsaSHA256, replacement: signatureMethod("http://www.w3.org/2000/09/xmldsig#dsa-sha1"), code: .signatureAlgorithmRejected),
        Downgrade(name: "ecdsa-sha384", original: rsaSHA256, replacement: signatureMethod("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"), code: .signatureAlgorithmRejected),
        Downgrade(name: "unknown signature method", original: rsaSHA256, replacement: signatureMethod("urn:example:none"), code: .signatureAlgorithmRejected),
        Downgrade(name: "sha1 digest", original: sha256Digest, replacement: digestMethod("http://www.w3.org/2000/09/xmldsig#sha1"), code: .digestAlgorithmRejected),
        Downgrade(name: "md5 digest", original: sha256Digest, replacement: digestMethod("http://www.w3.org/2001/04/xmldsig-more#md5"), code: .digestAlgorithmRejected),
        Downgrade(name: "sha224 digest", original: sha256Digest, replacement: digestMethod("http://www.w3.org/2001/04/xmldsig-more#sha224"), code: .digestAlgorithmRejected),
        Downgrade(name: "inclusive c14n", original: canonicalization, replacement: "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>", code: .canonicalizationRejected),
        Downgrade(name: "c14n 1.1", original: canonicalization, replacement: "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2006/12/xml-c14n11\"/>", code: .canonicalizationRejected),
        Downgrade(name: "exc-c14n with comments", original: canonicalization, replacement: "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#WithComments\"/>", code: .canonicalizationRejected),
        Downgrade(name: "InclusiveNamespaces in CanonicalizationMethod", original: canonicalization, replacement: "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\">\(inclusiveNamespaces)</ds:CanonicalizationMethod>", code: .canonicalizationRejected),
        Downgrade(name: "exc-c14n with comments transform", original: excTransform, replacement: "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#WithComments\"/>", code: .transformRejected),
        Downgrade(name: "XPath transform", original: enveloped, replacement: "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>", code: .transformRejected),
        Downgrade(name: "XSLT transform", original: excTransform, replacement: "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xslt-19991116\"/>", code: .transformRejected),
        Downgrade(name: "missing enveloped transform", original: enveloped, replacement: "", code: .transformRejected),
        Downgrade(name: "missing exc-c14n transform", original: excTransform, replacement: "", code: .transformRejected),
        Downgrade(name: "transforms in the wrong order", original: enveloped + excTransform, replacement: excTransform + enveloped, code: .transformRejected),
        Downgrade(name: "InclusiveNamespaces in transform", original: excTransform, replacement: "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\">\(inclusiveNamespaces)</ds:Transform>", code: .transformRejected),
    ]

    @Test(arguments: downgrades)
    func profileViolationInSignedInfoIsRejected(_ downgrade: Downgrade) throws {
        let crafted = try Self.signedText().replacingExactly(downgrade.original, with: downgrade.replacement)
        let found = try rejection(of: try Resigner.resign(crafted))
        #expect(found.code == downgrade.code)
        #expect(found.path?.hasPrefix("/Message/Signature/SignedInfo") == true)
    }

    @Test func rsaKeyWithECDSASignatureMethodIsKeyAlgorithmMismatch() throws {
        let crafted = try Self.signedText().replacingExactly(Self.rsaSHA256, with: Self.signatureMethod("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"))
        #expect(try rejection(of: try Resigner.resign(crafted)).code == .keyAlgorithmMismatch)
    }

    @Test func ecKeyWithSM2SignatureMethodIsKeyAlgorithmMismatch() throws {
        let crafted = try Self.signedText(by: "corpa-maker-ec")
            .replacingExactly(Self.signatureMethod("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"), with: Self.signatureMethod("http://www.w3.org/2000/09/xmldsig#sm2-sm3"))
        #expect(try rejection(of: try Resigner.resign(crafted, with: "corpa-maker-ec")).code == .keyAlgorithmMismatch)
    }

    // MARK: KeyInfo

    @Test(arguments: [
        "<ds:KeyInfo><ds:KeyValue><ds:RSAKeyValue><ds:Modulus>AQAB</ds:Modulus><ds:Exponent>AQAB</ds:Exponent></ds:RSAKeyValue></ds:KeyValue></ds:KeyInfo>",
        "<ds:KeyInfo><ds:RetrievalMethod URI=\"http://evil.example/maker.der\" Type=\"http://www.w3.org/2000/09/xmldsig#rawX509Certificate\"/></ds:KeyInfo>",
        "<ds:KeyInfo><ds:KeyName>MAKER01</ds:KeyName></ds:KeyInfo>",
        "<ds:KeyInfo></ds:KeyInfo>",
        "<ds:KeyInfo><ds:X509Data><ds:X509SubjectName>CN=MAKER01,OU=CORPA001</ds:X509SubjectName></ds:X509Data></ds:KeyInfo>",
    ])
    func keyInfoWithoutX509CertificateIsRejected(keyInfo: String) throws {
        let text = try Self.signedText()
        let crafted = try text.replacingExactly(try text.firstElement("ds:KeyInfo"), with: keyInfo)
        #expect(try rejection(of: crafted).code == .keyInfoRejected)
    }

    @Test func keyNameBesideX509DataIsRejected() throws {
        let crafted = try Self.signedText().replacingExactly("<ds:KeyInfo>", with: "<ds:KeyInfo><ds:KeyName>MAKER01</ds:KeyName>")
        #expect(try rejection(of: crafted).code == .keyInfoRejected)
    }

    @Test func moreThanFourCertificatesAreRejected() throws {
        let text = try Self.signedText()
        let certificate = try text.firstElement("ds:X509Certificate")
        let crafted = try text.replacingExactly(certificate, with: String(repeating: certificate, count: 5))
        #expect(try rejection(of: crafted).code == .keyInfoRejected)
    }
}
