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

/// Chain material a sender may or may not include, and one verifier shared by many threads.
@Suite struct ChainMaterialAndConcurrencyTests {
    @Test func cmsWithoutCertificatesIsMalformed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let der = try CMSBindingTests.opensslCMS(CMSBindingTests.signer("corpa-maker-ec") + ["-nodetach", "-nocerts"], in: directory)
        #expect(try rejection(of: der).code == .cmsMalformed)
    }

    @Test func cmsWithoutSignedAttributesAndWithTheIntermediateIsAccepted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let der = try CMSBindingTests.opensslCMS(CMSBindingTests.signer("corpa-maker-rsa")
            + ["-nodetach", "-noattr", "-certfile", Fixture.pki("intermediate-ca.pem")], in: directory)
        #expect(try Fixture.verifier().verify(der).signer.leaf.subjectAttribute("CN") == "MAKER01")
    }

    @Test func keyInfoWithFourCertificatesIncludingTheRootIsAccepted() throws {
        let text = String(decoding: try Fixture.signed(by: "corpa-maker-ec"), as: UTF8.self)
        let leaf = try text.firstElement("ds:X509Certificate")
        func element(_ name: String) throws -> String {
            "<ds:X509Certificate>\(Base64.encode(try Fixture.certificate(name).der))</ds:X509Certificate>"
        }
        let crafted = try text.replacingExactly(leaf, with: leaf + element("intermediate-ca") + element("root-ca") + element("intermediate-ca"))
        #expect(try Fixture.verifier().verify(crafted.bytes).signer.chain.count == 3)
    }

    @Test func oneVerifierServesManyConcurrentMessages() async throws {
        let verifier = try Fixture.verifier()
        var good: [[UInt8]] = []
        var tampered: [[UInt8]] = []
        for key in Fixture.makerKeys {
            let signed = try Fixture.signed(by: key)
            good.append(signed)
            good.append(try Fixture.signer(key == "corpa-maker-sm2" ? "corpa-maker-ec" : key).signCMS(try Fixture.message("single-payment.xml")))
            tampered.append(Array(try String(decoding: signed, as: UTF8.self)
                .replacingExactly("<Amount>12500.00</Amount>", with: "<Amount>92500.00</Amount>").utf8))
        }
        let messages = good, attacks = tampered
        let outcomes = await withTaskGroup(of: (Bool, RetCode?).self) { group in
            for round in 0..<40 {
                let isAttack = round % 4 == 3
                let bytes = isAttack ? attacks[round % attacks.count] : messages[round % messages.count]
                group.addTask {
                    do {
                        _ = try verifier.verify(bytes)
                        return (isAttack, nil)
                    } catch let rejection as MessageRejection {
                        return (isAttack, rejection.code)
                    } catch {
                        return (isAttack, .internalError)
                    }
                }
            }
            var results: [(Bool, RetCode?)] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(outcomes.count == 40)
        for (isAttack, code) in outcomes {
            #expect(code == (isAttack ? .digestMismatch : nil))
        }
    }
}
