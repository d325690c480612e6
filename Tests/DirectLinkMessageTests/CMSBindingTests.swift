import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation
import Testing

/// The CMS binding against SignedData produced by the openssl CLI, including shapes DirectLink never emits.
@Suite struct CMSBindingTests {
    /// `openssl cms -sign` over the single-payment fixture with `arguments` added; returns the DER.
    static func opensslCMS(_ arguments: [String], in directory: TemporaryDirectory) throws -> [UInt8] {
        try Tool.require(Tool.openssl)
        let input = try directory.write("message.xml", try Fixture.message("single-payment.xml"))
        let output = directory.path("message.p7")
        let result = try Tool.run(Tool.openssl, ["cms", "-sign", "-binary", "-in", input, "-outform", "DER", "-out", output] + arguments, in: directory)
        try #require(result.status == 0, "openssl cms -sign: \(result.error)")
        return try directory.read("message.p7")
    }

    static func signer(_ name: String) -> [String] {
        ["-signer", Fixture.pki("\(name).pem"), "-inkey", Fixture.pki("\(name).key")]
    }

    @Test(arguments: ["corpa-maker-rsa", "corpa-maker-ec"])
    func opensslSignedCMSIsAccepted(name: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let der = try Self.opensslCMS(Self.signer(name) + ["-nodetach", "-md", "sha256"], in: directory)
        let verified = try Fixture.verifier().verify(Array(Base64.encode(der, lineLength: 64).utf8))
        #expect(verified.binding == .cms)
        #expect(verified.signedBytes == (try Fixture.message("single-payment.xml")))
        #expect(verified.signer.leaf.subjectAttribute("OU") == "CORPA001")
    }

    @Test func cmsWithSHA1DigestIsRejected() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let der = try Self.opensslCMS(Self.signer("corpa-maker-ec") + ["-nodetach", "-md", "sha1"], in: directory)
        #expect(try rejection(of: der).code == .signatureAlgorithmRejected)
    }

    @Test func detachedCMSIsUnsupported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let der = try Self.opensslCMS(Self.signer("corpa-maker-ec"), in: directory)
        #expect(try rejection(of: der).code == .cmsUnsupported)
    }

    @Test func cmsWithTwoSignersIsUnsupported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let der = try Self.opensslCMS(Self.signer("corpa-maker-ec") + Self.signer("corpa-approver1") + ["-nodetach"], in: directory)
        #expect(try rejection(of: der).code == .cmsUnsupported)
    }

    @Test(arguments: ["weak-rsa1024", "p384"])
    func cmsFromOutOfPolicyKeyIsRejected(name: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let der = try Self.opensslCMS(Self.signer(name) + ["-nodetach"], in: directory)
        #expect(try rejection(of: der).code == .certificateKeyRejected)
    }

    @Test func cmsThatIsNotSignedDataIsUnsupported() throws {
        try Tool.require(Tool.openssl)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let input = try directory.write("message.xml", try Fixture.message("single-payment.xml"))
        let output = directory.path("data.p7")
        let result = try Tool.run(Tool.openssl, ["cms", "-data_create", "-binary", "-in", input, "-outform", "DER", "-out", output], in: directory)
        try #require(result.status == 0, "openssl cms -data_create: \(result.error)")
        #expect(try rejection(of: try directory.read("data.p7")).code == .cmsUnsupported)
    }

    @Test func gbkContentSurvivesTheCMSBinding() throws {
        let template = try Fixture.message("single-payment-gbk.xml")
        let verified = try Fixture.verifier().verify(try Fixture.signer("corpa-maker-ec").signCMS(template))
        #expect(verified.signedBytes == template)
        #expect(verified.transaction.child("CreditName", in: Namespace.directLink)?.text == "上海浦江物流有限公司")
    }

    @Test func cmsLargerThanTheDocumentLimitIsFrameTooLarge() throws {
        let signed = try Fixture.signer("corpa-maker-ec").signCMS(try Fixture.message("single-payment.xml"))
        let verifier = try Fixture.makeVerifier(limits: XMLLimits(documentBytesMax: signed.count - 1))
        #expect(try rejection(of: signed, verifier: verifier).code == .frameTooLarge)
    }
}

/// Base64 as the profile reads it: XML white space is ignored, everything else must be in the alphabet.
@Suite struct Base64Tests {
    @Test func decodesWithXMLWhiteSpaceAndLineBreaks() {
        #expect(Base64.decode("QUJD\nREVG\r\n") == Array("ABCDEF".utf8))
        #expect(Base64.decode(" QUJD\tREVG ") == Array("ABCDEF".utf8))
        #expect(Base64.decode(Array("QUJD\nREVG".utf8)) == Array("ABCDEF".utf8))
    }

    @Test(arguments: ["QUJD*REVG", "QUJD\u{00A0}REVG", "QUJD\u{2028}REVG", "QUJD\u{3000}REVG", "QUJD\u{000B}REVG", "QUJD\u{000C}REVG"])
    func rejectsCharactersOutsideTheAlphabetAndXMLWhiteSpace(text: String) {
        #expect(Base64.decode(text) == nil)
        #expect(Base64.decode(Array(text.utf8)) == nil)
    }

    @Test func encodesSixtyFourCharacterLines() {
        let encoded = Base64.encode([UInt8](repeating: 0xAB, count: 100), lineLength: 64)
        let lines = encoded.split(separator: "\n")
        #expect(lines.first?.count == 64)
        #expect(lines.count == 3)
        #expect(Base64.decode(encoded) == [UInt8](repeating: 0xAB, count: 100))
    }

    @Test func signatureValueWithNonXMLWhiteSpaceIsRejected() throws {
        let text = String(decoding: try Fixture.signed(by: "corpa-maker-ec"), as: UTF8.self)
        let value = try #require(text.firstElementText("ds:SignatureValue"))
        let index = value.index(value.startIndex, offsetBy: 40)
        let spaced = String(value[..<index]) + "\u{00A0}" + String(value[index...])
        #expect(try rejection(of: try text.replacingExactly(value, with: spaced)).code == .signatureValueFormat)
    }
}
