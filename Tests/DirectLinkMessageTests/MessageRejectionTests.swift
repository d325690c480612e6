import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation
import Testing

/// Rejections outside the signature profile: hostile XML, limits, certificates, the CMS binding, envelope and schema.
@Suite struct MessageRejectionTests {
    static let declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"

    static func signedText(by key: String = "corpa-maker-rsa") throws -> String {
        String(decoding: try Fixture.signed(by: key), as: UTF8.self)
    }

    // MARK: Hostile XML

    @Test func externalEntityIsRejectedAsDoctype() throws {
        let crafted = try Self.signedText().replacingExactly(Self.declaration, with: Self.declaration + "<!DOCTYPE Message [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>")
            .replacingExactly("<Purpose>", with: "<Purpose>&xxe;")
        let found = try rejection(of: crafted)
        #expect(found.code == .xmlDoctype)
    }

    @Test func billionLaughsIsRejectedAsDoctype() throws {
        var entities = "<!ENTITY lol0 \"lol\">"
        for level in 1...9 {
            entities += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">"
        }
        let crafted = try Self.signedText().replacingExactly(Self.declaration, with: Self.declaration + "<!DOCTYPE Message [\(entities)]>")
            .replacingExactly("<Purpose>", with: "<Purpose>&lol9;")
        #expect(try rejection(of: crafted).code == .xmlDoctype)
    }

    @Test func plainDoctypeIsRejected() throws {
        let crafted = try Self.signedText().replacingExactly(Self.declaration, with: Self.declaration + "<!DOCTYPE Message>")
        #expect(try rejection(of: crafted).code == .xmlDoctype)
    }

    @Test func externalDTDIsRejected() throws {
        let crafted = try Self.signedText().replacingExactly(Self.declaration, with: Self.declaration + "<!DOCTYPE Message SYSTEM \"http://evil.example/directlink.dtd\">")
        #expect(try rejection(of: crafted).code == .xmlDoctype)
    }

    @Test func deepNestingIsRejected() throws {
        let depth = 40
        let nest = String(repeating: "<x:n xmlns:x=\"urn:x\">", count: depth) + String(repeating: "</x:n>", count: depth)
        let crafted = try Self.signedText().replacingExactly("<Purpose>", with: "<Purpose>" + nest)
        #expect(try rejection(of: crafted).code == .xmlDepthExceeded)
    }

    @Test func processingInstructionIsRejected() throws {
        let crafted = try Self.signedText().replacingExactly("<Amount>", with: "<?evil run=\"yes\"?><Amount>")
        #expect(try rejection(of: crafted).code == .xmlProcessingInstruction)
    }

    @Test func malformedXMLIsRejected() throws {
        let crafted = try Self.signedText().replacingExactly("</Amount>", with: "</Amnt>")
        #expect(try rejection(of: crafted).code == .xmlMalformed)
    }

    @Test func unsupportedEncodingIsRejected() throws {
        let crafted = try Self.signedText().replacingExactly("encoding=\"UTF-8\"", with: "encoding=\"ISO-2022-JP\"")
        #expect(try rejection(of: crafted).code == .encodingUnsupported)
    }

    // MARK: Every parser limit, crossed

    struct LimitCase: CustomTestStringConvertible, Sendable {
        let name: String
        let limits: XMLLimits
        let code: RetCode
        var testDescription: String { name }
    }

    static let limitCases: [LimitCase] = [
        LimitCase(name: "documentBytesMax", limits: XMLLimits(documentBytesMax: 1000), code: .frameTooLarge),
        LimitCase(name: "depthMax", limits: XMLLimits(depthMax: 5), code: .xmlDepthExceeded),
        LimitCase(name: "attributesPerElementMax", limits: XMLLimits(attributesPerElementMax: 1), code: .xmlTooManyAttributes),
        LimitCase(name: "elementsMax", limits: XMLLimits(elementsMax: 10), code: .xmlTooManyElements),
        LimitCase(name: "textBytesMax", limits: XMLLimits(textBytesMax: 200), code: .xmlTextTooLong),
    ]

    @Test(arguments: limitCases)
    func messageCrossingALimitIsRejected(_ limit: LimitCase) throws {
        var text = try Self.signedText()
        if limit.name == "attributesPerElementMax" {
            // Message then carries two namespace declarations.
            text = try text.replacingExactly("<Message xmlns=\"urn:directlink:1\">", with: "<Message xmlns=\"urn:directlink:1\" xmlns:x=\"urn:x\">")
        }
        let verifier = try Fixture.makeVerifier(limits: limit.limits)
        #expect(try rejection(of: text, verifier: verifier).code == limit.code)
    }

    @Test func messageAtTheDocumentLimitIsAccepted() throws {
        let signed = try Fixture.signed()
        let verifier = try Fixture.makeVerifier(limits: XMLLimits(documentBytesMax: signed.count))
        #expect(try verifier.verify(signed).head.txCode == "PAY.SINGLE")
        let smaller = try Fixture.makeVerifier(limits: XMLLimits(documentBytesMax: signed.count - 1))
        #expect(try rejection(of: signed, verifier: smaller).code == .frameTooLarge)
    }

    // MARK: Certificates (each signed with the certificate's own key, so only the certificate is at fault)

    @Test(arguments: [
        ("expired", RetCode.certificateExpired),
        ("revoked", RetCode.certificateRevoked),
        ("untrusted", RetCode.certificateUntrusted),
        ("wrong-ku", RetCode.certificateKeyUsage),
    ])
    func badSignerCertificateIsRejected(name: String, code: RetCode) throws {
        let signed = try Fixture.signer(name).signXML(try Fixture.message("single-payment.xml"))
        #expect(try rejection(of: signed).code == code)
    }

    @Test func untrustedSignerWithItsOwnRootInKeyInfoIsRejected() throws {
        let signer = try MessageSigner(key: try Fixture.key("untrusted"), certificate: try Fixture.certificate("untrusted"),
                                   intermediates: [try Fixture.certificate("untrusted-ca")])
        let signed = try signer.signXML(try Fixture.message("single-payment.xml"))
        #expect(try rejection(of: signed).code == .certificateUntrusted)
    }

    /// PrivateKey refuses to sign with keys outside the policy, so the openssl CLI signs SignedInfo instead.
    static func signedWithOutOfPolicyKey(certificate name: String, template: String, signatureMethod: String,
                                         halfBytes: Int?) throws -> [UInt8] {
        try Tool.require(Tool.openssl)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let text = try Self.signedText(by: template)
        let document = try XMLDocument.parse(text.bytes)
        let signature = try Resigner.signatureElement(document)
        let signedInfo = try Resigner.firstDescendant(signature, "SignedInfo")
        #expect(try Resigner.firstDescendant(signedInfo, "SignatureMethod").attribute("Algorithm") == signatureMethod)
        try Resigner.firstDescendant(signature, "X509Certificate").setText(Base64.encode(try Fixture.certificate(name).der))
        let input = try directory.write("signedinfo.bin", try document.exclusiveCanonicalization(of: signedInfo))
        let output = directory.path("signature.bin")
        let result = try Tool.run(Tool.openssl, ["dgst", "-sha256", "-sign", Fixture.pki("\(name).key"), "-out", output, input], in: directory)
        try #require(result.status == 0, "openssl dgst -sign failed: \(result.error)")
        var value = try directory.read("signature.bin")
        if let halfBytes { value = try ECSignatureEncoding.raw(fromDER: value, halfBytes: halfBytes) }
        try Resigner.firstDescendant(signature, "SignatureValue").setText(Base64.encode(value))
        return try document.serialized()
    }

    @Test func rsa1024SignerIsRejected() throws {
        let signed = try Self.signedWithOutOfPolicyKey(certificate: "weak-rsa1024", template: "corpa-maker-rsa",
                                                       signatureMethod: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", halfBytes: nil)
        #expect(try rejection(of: signed).code == .certificateKeyRejected)
    }

    @Test func p384SignerIsRejected() throws {
        let signed = try Self.signedWithOutOfPolicyKey(certificate: "p384", template: "corpa-maker-ec",
                                                       signatureMethod: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", halfBytes: 48)
        #expect(try rejection(of: signed).code == .certificateKeyRejected)
    }

    @Test func signerRefusesOutOfPolicyKeys() throws {
        for name in ["weak-rsa1024", "p384"] {
            let found = try #require(throws: MessageRejection.self) {
                _ = try Fixture.signer(name).signXML(try Fixture.message("single-payment.xml"))
            }
            #expect(found.code == .certificateKeyRejected, "\(name)")
        }
    }

    @Test func certificateThatIsNotDERIsRejected() throws {
        let text = try Self.signedText()
        let certificate = try #require(text.firstElementText("ds:X509Certificate"))
        let crafted = try text.replacingExactly(certificate, with: Base64.encode(Array("not a certificate".utf8)))
        #expect(try rejection(of: crafted).code == .certificateMalformed)
    }

    @Test func certificateThatIsNotBase64IsRejected() throws {
        let text = try Self.signedText()
        let certificate = try #require(text.firstElementText("ds:X509Certificate"))
        let crafted = try text.replacingExactly(certificate, with: "%%%")
        #expect(try rejection(of: crafted).code == .certificateMalformed)
    }

    @Test func anotherOperatorsCertificateWithTheOriginalSignatureIsSignatureInvalid() throws {
        let text = try Self.signedText(by: "corpa-maker-ec")
        let certificate = try #require(text.firstElementText("ds:X509Certificate"))
        let crafted = try text.replacingExactly(certificate, with: Base64.encode(try Fixture.certificate("corpa-approver1").der))
        #expect(try rejection(of: crafted).code == .signatureInvalid)
    }

    // MARK: CMS binding

    static func cmsDER(_ signed: [UInt8]) throws -> [UInt8] {
        try #require(Base64.decode(signed))
    }

    @Test(arguments: ["corpa-maker-rsa", "corpa-maker-ec"])
    func tamperedCMSContentIsRejected(key: String) throws {
        var der = try Self.cmsDER(try Fixture.signer(key).signCMS(try Fixture.message("single-payment.xml")))
        let original = Array("<Amount>12500.00</Amount>".utf8), forged = Array("<Amount>92500.00</Amount>".utf8)
        let range = try #require(der.firstRange(of: original))
        der.replaceSubrange(range, with: forged)
        let tampered = Array(Base64.encode(der, lineLength: 64).utf8)
        #expect(try rejection(of: tampered).code == .cmsSignatureInvalid)
        // Raw DER takes the same path.
        #expect(try rejection(of: der).code == .cmsSignatureInvalid)
    }

    @Test(arguments: [("revoked", RetCode.certificateRevoked), ("untrusted", RetCode.certificateUntrusted),
                      ("expired", RetCode.certificateExpired), ("wrong-ku", RetCode.certificateKeyUsage)])
    func cmsFromBadSignerIsRejected(name: String, code: RetCode) throws {
        let signed = try Fixture.signer(name).signCMS(try Fixture.message("single-payment.xml"))
        #expect(try rejection(of: signed).code == code)
    }

    @Test func pemArmouredCMSIsAccepted() throws {
        let signed = try Fixture.signer("corpa-maker-ec").signCMS(try Fixture.message("single-payment.xml"))
        let pem = "-----BEGIN PKCS7-----\n" + String(decoding: signed, as: UTF8.self) + "\n-----END PKCS7-----\n"
        #expect(try Fixture.verifier().verify(pem.bytes).binding == .cms)
    }

    @Test(arguments: ["MIIB!!!not base64!!!", "MIIBgarbage", "MIIBAAAA"])
    func garbageCMSIsMalformed(text: String) throws {
        #expect(try rejection(of: text).code == .cmsMalformed)
    }

    @Test(arguments: ["hello, bank", "{\"TxCode\":\"PAY.SINGLE\"}", "", "   \n"])
    func bytesThatAreNeitherXMLNorCMSAreUnrecognized(text: String) throws {
        #expect(try rejection(of: text).code == .bindingUnrecognized)
    }

    @Test func cmsContentCarryingADSSignatureIsRejected() throws {
        let signed = try Fixture.signed(by: "corpa-maker-ec")
        let cms = try Fixture.signer("corpa-maker-ec").signCMS(try Fixture.message("single-payment.xml"))
        #expect(try Fixture.verifier().verify(cms).binding == .cms)
        // The signer refuses to wrap an XML-DSig message…
        #expect(throws: (any Error).self) { _ = try Fixture.signer("corpa-maker-ec").signCMS(signed) }
        // …and CMS.sign from the crypto layer, which does not look inside, is caught by the verifier.
        let der = try CMS.sign(content: signed, key: try Fixture.key("corpa-maker-ec"),
                               certificate: try Fixture.certificate("corpa-maker-ec"), extraCertificates: [])
        #expect(try rejection(of: Array(Base64.encode(der, lineLength: 64).utf8)).code == .signatureMultiple)
    }

    // MARK: Envelope and schema

    @Test func bodyThatDoesNotMatchTxCodeIsRejected() throws {
        let template = try Fixture.singlePaymentText().replacingExactly("<TxCode>PAY.SINGLE</TxCode>", with: "<TxCode>BAL.QUERY</TxCode>")
        let signed = try Fixture.signer("corpa-maker-ec").signXML(template.bytes)
        let found = try rejection(of: signed)
        #expect(found.code == .bodyMismatch)
        #expect(found.path == "/Message/Body/SinglePayment")
    }

    @Test func cmsBodyThatDoesNotMatchTxCodeIsRejected() throws {
        let template = try Fixture.singlePaymentText().replacingExactly("<TxCode>PAY.SINGLE</TxCode>", with: "<TxCode>APR.PENDING</TxCode>")
        let signed = try Fixture.signer("corpa-maker-rsa").signCMS(template.bytes)
        #expect(try rejection(of: signed).code == .bodyMismatch)
    }

    @Test func schemaViolationIsRejectedWithItsPath() throws {
        let template = try Fixture.singlePaymentText().replacingExactly("<Amount>12500.00</Amount>", with: "<Amount>12,500.00</Amount>")
        let signed = try Fixture.signer("corpa-maker-rsa").signXML(template.bytes)
        let found = try rejection(of: signed)
        #expect(found.code == .schemaInvalid)
        #expect(found.path == "/Message/Body/SinglePayment/Amount")
    }

    @Test func cmsSchemaViolationIsRejectedWithItsPath() throws {
        let template = try Fixture.singlePaymentText().replacingExactly("<Currency>CNY</Currency>", with: "<Currency>yuan</Currency>")
        let signed = try Fixture.signer("corpa-maker-ec").signCMS(template.bytes)
        let found = try rejection(of: signed)
        #expect(found.code == .schemaInvalid)
        #expect(found.path == "/Message/Body/SinglePayment/Currency")
    }

    @Test func wrongRootNamespaceIsRejected() throws {
        let crafted = try Self.signedText().replacingExactly("<Message xmlns=\"urn:directlink:1\">", with: "<Message xmlns=\"urn:directlink:2\">")
        #expect(try rejection(of: crafted).code == .envelopeStructure)
    }

    @Test func textDirectlyInsideMessageIsRejected() throws {
        let crafted = try Self.signedText().replacingExactly("</Head>", with: "</Head>PAY 99999.00 TO MALLORY")
        #expect(try rejection(of: crafted).code == .envelopeStructure)
    }
}
