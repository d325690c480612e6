import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation
import Testing

/// DirectLink against independent implementations: xmlsec1 for RSA and ECDSA XML-DSig, the openssl CLI for SM2.
/// Missing tools fail the test with instructions; they are never skipped.
@Suite struct InteropTests {
    static let trustedRoot = Fixture.pki("root-ca.pem")
    static let intermediate = Fixture.pki("intermediate-ca.pem")

    static func template(_ message: String, signatureMethod: String) throws -> [UInt8] {
        let text = String(decoding: try Fixture.message(message), as: UTF8.self)
        let signature = "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><ds:SignatureMethod Algorithm=\"\(signatureMethod)\"/><ds:Reference URI=\"\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/><ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"
        return Array(try text.replacingExactly("</Message>", with: signature + "</Message>").utf8)
    }

    static let xmlsecCases: [(String, String)] = [
        ("corpa-maker-rsa", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"),
        ("corpa-maker-ec", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"),
    ]

    static func xmlsecSign(_ message: String, key: String, signatureMethod: String, in directory: TemporaryDirectory) throws -> [UInt8] {
        let input = try directory.write("template-\(key).xml", try template(message, signatureMethod: signatureMethod))
        let output = directory.path("xmlsec-\(key).xml")
        let result = try Tool.run(Tool.xmlsec1, [
            "--sign", "--privkey-pem", "\(Fixture.pki("\(key).key")),\(Fixture.pki("\(key).pem")),\(intermediate)",
            "--output", output, input,
        ], in: directory)
        try #require(result.status == 0, "xmlsec1 --sign failed: \(result.error)")
        return try directory.read("xmlsec-\(key).xml")
    }

    @Test(arguments: xmlsecCases.map(\.0), Fixture.messageNames.filter { $0 != "single-payment-gbk.xml" })
    func directLinkSignedMessageVerifiesInXmlsec1(key: String, message: String) throws {
        try Tool.require(Tool.xmlsec1)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("signed.xml", try Fixture.signed(message, by: key))
        let result = try Tool.run(Tool.xmlsec1, ["--verify", "--trusted-pem", Self.trustedRoot, "--untrusted-pem", Self.intermediate, file], in: directory)
        #expect(result.status == 0, "xmlsec1 --verify: \(result.error)")
        #expect(result.error.contains("OK"))
    }

    @Test(arguments: xmlsecCases.map(\.0))
    func directLinkSignedGBKMessageVerifiesInXmlsec1(key: String) throws {
        try Tool.require(Tool.xmlsec1)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("signed.xml", try Fixture.signed("single-payment-gbk.xml", by: key))
        let result = try Tool.run(Tool.xmlsec1, ["--verify", "--trusted-pem", Self.trustedRoot, "--untrusted-pem", Self.intermediate, file], in: directory)
        #expect(result.status == 0, "xmlsec1 --verify: \(result.error)")
    }

    @Test func xmlsec1RejectsATamperedDirectLinkMessage() throws {
        try Tool.require(Tool.xmlsec1)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tampered = try String(decoding: try Fixture.signed(), as: UTF8.self)
            .replacingExactly("<Amount>12500.00</Amount>", with: "<Amount>92500.00</Amount>")
        let file = try directory.write("tampered.xml", tampered.bytes)
        let result = try Tool.run(Tool.xmlsec1, ["--verify", "--trusted-pem", Self.trustedRoot, "--untrusted-pem", Self.intermediate, file], in: directory)
        #expect(result.status != 0)
    }

    @Test(arguments: xmlsecCases, Fixture.messageNames.filter { $0 != "single-payment-gbk.xml" })
    func xmlsec1SignedMessageVerifiesInDirectLink(signer: (String, String), message: String) throws {
        try Tool.require(Tool.xmlsec1)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let signed = try Self.xmlsecSign(message, key: signer.0, signatureMethod: signer.1, in: directory)
        let verified = try Fixture.verifier().verify(signed)
        #expect(verified.binding == .xmlDSig)
        #expect(verified.signer.leaf.subjectAttribute("CN") == "MAKER01")
        #expect(verified.signer.leaf.subjectAttribute("OU") == "CORPA001")
        #expect(verified.messageDigest == (try Digest.compute(.sha256, signed)).hexString)
    }

    @Test(arguments: xmlsecCases)
    func xmlsec1SignedGBKMessageVerifiesInDirectLink(signer: (String, String)) throws {
        try Tool.require(Tool.xmlsec1)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let template = try Fixture.message("single-payment-gbk.xml")
        // The fixture's closing tag and the signature template are ASCII, hence the same bytes in GBK.
        var bytes = template
        let close = Array("</Message>".utf8)
        let range = try #require(bytes.firstRange(of: close))
        let signatureTemplate = try Self.template("single-payment.xml", signatureMethod: signer.1)
        let signatureStart = try #require(signatureTemplate.firstRange(of: Array("<ds:Signature".utf8)))
        bytes.replaceSubrange(range, with: Array(signatureTemplate[signatureStart.lowerBound...]))
        let input = try directory.write("template.xml", bytes)
        let output = directory.path("signed.xml")
        let result = try Tool.run(Tool.xmlsec1, [
            "--sign", "--privkey-pem", "\(Fixture.pki("\(signer.0).key")),\(Fixture.pki("\(signer.0).pem")),\(Self.intermediate)",
            "--output", output, input,
        ], in: directory)
        try #require(result.status == 0, "xmlsec1 --sign failed: \(result.error)")
        let verified = try Fixture.verifier().verify(try directory.read("signed.xml"))
        #expect(verified.transaction.child("CreditName", in: Namespace.directLink)?.text == "上海浦江物流有限公司")
    }

    @Test(arguments: xmlsecCases)
    func tamperedXmlsec1MessageIsDigestMismatch(signer: (String, String)) throws {
        try Tool.require(Tool.xmlsec1)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let signed = try Self.xmlsecSign("single-payment.xml", key: signer.0, signatureMethod: signer.1, in: directory)
        let tampered = try String(decoding: signed, as: UTF8.self)
            .replacingExactly("<Amount>12500.00</Amount>", with: "<Amount>92500.00</Amount>")
        #expect(try rejection(of: tampered).code == .digestMismatch)
    }

    /// The profile is about names, not prefixes: a Signature in the default namespace is the same signature.
    @Test func signatureWithoutPrefixVerifiesInBothImplementations() throws {
        try Tool.require(Tool.xmlsec1)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let text = String(decoding: try Fixture.signed(by: "corpa-maker-ec"), as: UTF8.self)
        let signature = try text.firstElement("ds:Signature")
        let unprefixed = signature
            .replacingOccurrences(of: "xmlns:ds=", with: "xmlns=")
            .replacingOccurrences(of: "<ds:", with: "<")
            .replacingOccurrences(of: "</ds:", with: "</")
        let resigned = try Resigner.resign(try text.replacingExactly(signature, with: unprefixed), with: "corpa-maker-ec")
        #expect(!String(decoding: resigned, as: UTF8.self).contains("ds:"))
        #expect(try Fixture.verifier().verify(resigned).head.txCode == "PAY.SINGLE")
        let file = try directory.write("unprefixed.xml", resigned)
        let result = try Tool.run(Tool.xmlsec1, ["--verify", "--trusted-pem", Self.trustedRoot, "--untrusted-pem", Self.intermediate, file], in: directory)
        #expect(result.status == 0, "xmlsec1 --verify: \(result.error)")
    }

    // MARK: SM2 against the openssl CLI

    static let sm2ID = "distid:1234567812345678"

    @Test func directLinkSM2SignatureVerifiesWithOpenSSL() throws {
        try Tool.require(Tool.openssl)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let document = try XMLDocument.parse(try Fixture.signed(by: "corpa-maker-sm2"))
        let signature = try Resigner.signatureElement(document)
        let signedInfo = try Resigner.firstDescendant(signature, "SignedInfo")
        #expect(try Resigner.firstDescendant(signedInfo, "SignatureMethod").attribute("Algorithm") == "http://www.w3.org/2000/09/xmldsig#sm2-sm3")
        let raw = try #require(Base64.decode(try Resigner.firstDescendant(signature, "SignatureValue").text))
        #expect(raw.count == 64)

        let data = try directory.write("signedinfo.bin", try document.exclusiveCanonicalization(of: signedInfo))
        let signatureFile = try directory.write("signature.der", ECSignatureEncoding.der(fromRaw: raw))
        let publicKey = directory.path("public.pem")
        let extract = try Tool.run(Tool.openssl, ["x509", "-pubkey", "-noout", "-in", Fixture.pki("corpa-maker-sm2.pem"), "-out", publicKey], in: directory)
        try #require(extract.status == 0, "openssl x509 -pubkey: \(extract.error)")
        let result = try Tool.run(Tool.openssl, ["dgst", "-sm3", "-verify", publicKey, "-sigopt", Self.sm2ID, "-signature", signatureFile, data], in: directory)
        #expect(result.output.contains("Verified OK"), "openssl: \(result.output) \(result.error)")
        #expect(result.status == 0)

        // The same check fails for a changed SignedInfo, so "Verified OK" above means something.
        var changed = try directory.read("signedinfo.bin")
        changed[changed.count / 2] ^= 0x01
        let changedFile = try directory.write("changed.bin", changed)
        let negative = try Tool.run(Tool.openssl, ["dgst", "-sm3", "-verify", publicKey, "-sigopt", Self.sm2ID, "-signature", signatureFile, changedFile], in: directory)
        #expect(!negative.output.contains("Verified OK"))
    }

    @Test func openSSLSM2SignatureVerifiesInDirectLink() throws {
        try Tool.require(Tool.openssl)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let document = try XMLDocument.parse(try Fixture.signed(by: "corpa-maker-sm2"))
        let signature = try Resigner.signatureElement(document)
        let signedInfo = try Resigner.firstDescendant(signature, "SignedInfo")
        let value = try Resigner.firstDescendant(signature, "SignatureValue")
        let directLinkValue = value.text

        let data = try directory.write("signedinfo.bin", try document.exclusiveCanonicalization(of: signedInfo))
        let signatureFile = directory.path("signature.der")
        let result = try Tool.run(Tool.openssl, ["dgst", "-sm3", "-sign", Fixture.pki("corpa-maker-sm2.key"), "-sigopt", Self.sm2ID, "-out", signatureFile, data], in: directory)
        try #require(result.status == 0, "openssl dgst -sign: \(result.error)")
        let raw = try ECSignatureEncoding.raw(fromDER: try directory.read("signature.der"), halfBytes: 32)
        #expect(raw.count == 64)
        value.setText(Base64.encode(raw))
        #expect(value.text != directLinkValue)

        let verified = try Fixture.verifier().verify(try document.serialized())
        #expect(verified.signer.identity.keyType == "SM2")
        #expect(verified.head.serialNo == "A20261125000003")
    }

    @Test func openSSLSM2SignatureWithAnotherSignerIDIsSignatureInvalid() throws {
        try Tool.require(Tool.openssl)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let document = try XMLDocument.parse(try Fixture.signed(by: "corpa-maker-sm2"))
        let signature = try Resigner.signatureElement(document)
        let signedInfo = try Resigner.firstDescendant(signature, "SignedInfo")
        let data = try directory.write("signedinfo.bin", try document.exclusiveCanonicalization(of: signedInfo))
        let signatureFile = directory.path("signature.der")
        let result = try Tool.run(Tool.openssl, ["dgst", "-sm3", "-sign", Fixture.pki("corpa-maker-sm2.key"), "-sigopt", "distid:ALICE123@YAHOO.COM", "-out", signatureFile, data], in: directory)
        try #require(result.status == 0, "openssl dgst -sign: \(result.error)")
        try Resigner.firstDescendant(signature, "SignatureValue")
            .setText(Base64.encode(try ECSignatureEncoding.raw(fromDER: try directory.read("signature.der"))))
        #expect(try rejection(of: try document.serialized()).code == .signatureInvalid)
    }

    @Test func derEncoderRoundTripsAndPadsHighBits() throws {
        let raw = [UInt8](repeating: 0x80, count: 32) + [UInt8](repeating: 0, count: 31) + [0x01]
        let der = ECSignatureEncoding.der(fromRaw: raw)
        #expect(der == [0x30, 0x26, 0x02, 0x21, 0x00] + [UInt8](repeating: 0x80, count: 32) + [0x02, 0x01, 0x01])
        #expect(try ECSignatureEncoding.raw(fromDER: der) == raw)
    }
}
