import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation
import Testing

/// The signer emits exactly the profile, keeps what it was given, and refuses what would never verify.
@Suite struct MessageSignerTests {
    static let response = """
    <?xml version="1.0" encoding="UTF-8"?>
    <Message xmlns="urn:directlink:1">
      <Head>
        <TxCode>PAY.SINGLE</TxCode>
        <CorpId>CORPA001</CorpId>
        <OperatorId>MAKER01</OperatorId>
        <SerialNo>A20261125000003</SerialNo>
        <Timestamp>2026-11-25T10:15:31+08:00</Timestamp>
        <RetCode>2002</RetCode>
        <Severity>REJECTED</Severity>
        <RetMsg>报文不符合接口规范（XSD）</RetMsg>
        <RetMsgEn>message does not conform to the schema</RetMsgEn>
      </Head>
      <Body>
        <ErrorResult/>
      </Body>
    </Message>
    """

    @Test(arguments: ["bank-signing", "bank-signing-ec", "bank-signing-sm2"])
    func bankResponseVerifiesWithItsRetCode(signer: String) throws {
        let signed = try Fixture.signer(signer).signXML(Self.response.bytes)
        let verified = try Fixture.verifier().verify(signed)
        #expect(verified.head.retCode == "2002")
        #expect(verified.transaction.name == "ErrorResult")
        #expect(verified.signer.leaf.subjectAttribute("OU") == "DirectLink")
    }

    @Test func responseCarryingARequestBodyIsBodyMismatch() throws {
        let text = try Fixture.singlePaymentText()
            .replacingExactly("</Timestamp>", with: "</Timestamp><RetCode>0000</RetCode>")
        let signed = try Fixture.signer("bank-signing-ec").signXML(text.bytes)
        #expect(try rejection(of: signed).code == .bodyMismatch)
    }

    @Test(arguments: Fixture.makerKeys)
    func signatureIsTheLastChildAndFollowsTheProfile(key: String) throws {
        let signed = try Fixture.signed(by: key)
        let document = try XMLDocument.parse(signed)
        let last = try #require(document.root.children.last)
        #expect(last.isNamed("Signature", in: Namespace.xmlDSig))
        let text = String(decoding: signed, as: UTF8.self)
        #expect(text.contains("<ds:Reference URI=\"\">"))
        #expect(text.components(separatedBy: "<ds:X509Certificate>").count == 2)
        #expect(!text.contains("Id="))
    }

    @Test func signingTwiceIsRefused() throws {
        let signed = try Fixture.signed()
        let found = try #require(throws: MessageRejection.self) { _ = try Fixture.signer("corpa-maker-ec").signXML(signed) }
        #expect(found.code == .signatureMultiple)
    }

    @Test func signingHostileXMLIsRefused() throws {
        let text = try Fixture.singlePaymentText()
            .replacingExactly("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", with: "<?xml version=\"1.0\" encoding=\"UTF-8\"?><!DOCTYPE Message [<!ENTITY a \"b\">]>")
        let found = try #require(throws: MessageRejection.self) { _ = try Fixture.signer("corpa-maker-ec").signXML(text.bytes) }
        #expect(found.code == .xmlDoctype)
    }

    @Test func intermediatesFromTheCertificateFileAreCarriedInKeyInfo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bundle = try Repository.bytes("Fixtures/pki/corpa-maker-ec.pem") + (try Repository.bytes("Fixtures/pki/intermediate-ca.pem"))
        let certificatePath = try directory.write("chain.pem", bundle)
        let signer = try MessageSigner(keyPath: Fixture.pki("corpa-maker-ec.key"), certificatePath: certificatePath)
        #expect(signer.intermediates.count == 1)
        let signed = try signer.signXML(try Fixture.message("single-payment.xml"))
        #expect(String(decoding: signed, as: UTF8.self).components(separatedBy: "<ds:X509Certificate>").count == 3)
        #expect(try Fixture.verifier().verify(signed).signer.chain.count == 3)
    }

    /// A key that does not belong to the certificate would yield messages no one can verify: the signer refuses
    /// the pair when it is created, for both bindings.
    @Test(arguments: [("corpa-approver1", "corpa-maker-ec"), ("bank-signing", "corpa-maker-rsa")])
    func keyThatDoesNotMatchTheCertificateIsRefused(keyName: String, certificateName: String) throws {
        do {
            _ = try MessageSigner(key: try Fixture.key(keyName), certificate: try Fixture.certificate(certificateName))
            Issue.record("a signer was created from a key that is not the certificate's")
        } catch let rejection as MessageRejection {
            #expect(rejection.code == .keyAlgorithmMismatch)
        }
    }

    @Test func twoUnrelatedSignerCertificatesInKeyInfoAreRejected() throws {
        let text = String(decoding: try Fixture.signed(by: "corpa-maker-ec"), as: UTF8.self)
        let leaf = try text.firstElement("ds:X509Certificate")
        let other = "<ds:X509Certificate>\(Base64.encode(try Fixture.certificate("corpa-approver1").der))</ds:X509Certificate>"
        #expect(try rejection(of: try text.replacingExactly(leaf, with: leaf + other)).code == .keyInfoRejected)
    }

    @Test func truncatedRSASignatureIsSignatureValueFormat() throws {
        let text = String(decoding: try Fixture.signed(), as: UTF8.self)
        let value = try #require(text.firstElementText("ds:SignatureValue"))
        let raw = try #require(Base64.decode(value))
        #expect(raw.count == 256)
        let truncated = Base64.encode(Array(raw.dropLast()))
        #expect(try rejection(of: try text.replacingExactly(value, with: truncated)).code == .signatureValueFormat)
    }
}
