import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation
import Testing

/// The verification time and the CRLs decide certificate outcomes; cached chain results never outlive them.
@Suite struct TrustAndTimeTests {
    static func date(_ text: String) throws -> Date {
        try #require(ISO8601DateFormatter().date(from: text))
    }

    static func verifier(crls: [String]) throws -> MessageVerifier {
        MessageVerifier(
            trust: try TrustStore(caBundlePath: Fixture.pki("ca-bundle.pem"), crlPaths: crls.map(Fixture.pki)),
            schema: try XMLSchema(xsd: try Repository.bytes("Schemas/directlink-1.xsd"))
        )
    }

    static func rejection(_ bytes: [UInt8], _ verifier: MessageVerifier, at time: Date) throws -> MessageRejection {
        try #require(throws: MessageRejection.self) { _ = try verifier.verify(bytes, at: time) }
    }

    @Test func expiredSignerIsAcceptedInsideItsValidityAndRejectedAfterIt() throws {
        // Without CRLs (whose thisUpdate is today) only the certificate dates decide.
        let verifier = try Self.verifier(crls: [])
        let signed = try Fixture.signed(by: "expired")
        let verified = try verifier.verify(signed, at: try Self.date("2020-06-01T00:00:00Z"))
        #expect(verified.signer.leaf.subjectAttribute("CN") == "MAKER01")
        // The chain result cached above must not be reused once the certificate has expired.
        #expect(try Self.rejection(signed, verifier, at: Date()).code == .certificateExpired)
        #expect(try Self.rejection(signed, verifier, at: try Self.date("2021-01-01T00:00:01Z")).code == .certificateExpired)
    }

    @Test func signerIsNotYetValidBeforeItsNotBefore() throws {
        let verifier = try Self.verifier(crls: [])
        let signed = try Fixture.signed(by: "corpa-maker-ec")
        let notBefore = try Fixture.certificate("corpa-maker-ec").notBefore
        #expect(try verifier.verify(signed, at: notBefore).head.txCode == "PAY.SINGLE")
        // Cached at notBefore; one second earlier the cache must not answer.
        #expect(try Self.rejection(signed, verifier, at: notBefore.addingTimeInterval(-1)).code == .certificateNotYetValid)
        #expect(try Self.rejection(signed, verifier, at: try Self.date("2025-01-01T00:00:00Z")).code == .certificateNotYetValid)
    }

    @Test func missingCRLForTheIssuerIsCrlUnavailable() throws {
        let verifier = try Self.verifier(crls: ["crl/root.crl.pem"])
        let found = try Self.rejection(try Fixture.signed(by: "corpa-maker-rsa"), verifier, at: Date())
        #expect(found.code == .crlUnavailable)
        #expect(found.code.retryable)
    }

    @Test func revocationComesFromTheCRL() throws {
        let signed = try Fixture.signed(by: "revoked")
        #expect(try Self.verifier(crls: []).verify(signed).signer.leaf.subjectAttribute("CN") == "MAKER01")
        #expect(try Self.rejection(signed, try Self.verifier(crls: ["crls.pem"]), at: Date()).code == .certificateRevoked)
        #expect(try Self.rejection(signed, try Self.verifier(crls: ["crl/root.crl.pem", "crl/intermediate.crl.pem"]), at: Date()).code == .certificateRevoked)
    }

    @Test func rejectedChainIsRejectedEveryTime() throws {
        let verifier = try Self.verifier(crls: ["crls.pem"])
        let signed = try Fixture.signed(by: "revoked")
        for _ in 0..<3 {
            #expect(try Self.rejection(signed, verifier, at: Date()).code == .certificateRevoked)
        }
    }

    @Test func verifyingAtCRLExpiryFailsClosed() throws {
        let verifier = try Self.verifier(crls: ["crls.pem"])
        let signed = try Fixture.signed(by: "corpa-maker-ec")
        #expect(try verifier.verify(signed).head.txCode == "PAY.SINGLE")
        // After the CRLs' nextUpdate (and the leaf's notAfter) nothing may pass, cached or not.
        let found = try Self.rejection(signed, verifier, at: try Self.date("2057-01-01T00:00:00Z"))
        #expect(found.code == .certificateExpired || found.code == .crlUnavailable)
    }
}

/// Each parser limit: a message exactly at the limit passes, one unit over is rejected with the limit's code.
@Suite struct LimitBoundaryTests {
    struct Measured {
        var elements = 0
        var depth = 0
        var textBytes = 0
    }

    static func measure(_ element: XMLElement, depth: Int, into measured: inout Measured) {
        measured.elements += 1
        measured.depth = max(measured.depth, depth)
        let children = element.children
        if children.isEmpty { measured.textBytes = max(measured.textBytes, element.text.utf8.count) }
        for child in children { measure(child, depth: depth + 1, into: &measured) }
    }

    static func signedAndMeasured() throws -> ([UInt8], Measured) {
        let signed = try Fixture.signed()
        var measured = Measured()
        measure(try XMLDocument.parse(signed).root, depth: 1, into: &measured)
        return (signed, measured)
    }

    @Test func elementsMaxBoundary() throws {
        let (signed, measured) = try Self.signedAndMeasured()
        #expect(measured.elements > 20)
        #expect(try Fixture.makeVerifier(limits: XMLLimits(elementsMax: measured.elements)).verify(signed).head.txCode == "PAY.SINGLE")
        let tight = try Fixture.makeVerifier(limits: XMLLimits(elementsMax: measured.elements - 1))
        #expect(try rejection(of: signed, verifier: tight).code == .xmlTooManyElements)
    }

    @Test func depthMaxBoundary() throws {
        let (signed, measured) = try Self.signedAndMeasured()
        #expect(measured.depth == 6)  // Message/Signature/SignedInfo/Reference/Transforms/Transform
        #expect(try Fixture.makeVerifier(limits: XMLLimits(depthMax: measured.depth)).verify(signed).head.txCode == "PAY.SINGLE")
        let tight = try Fixture.makeVerifier(limits: XMLLimits(depthMax: measured.depth - 1))
        #expect(try rejection(of: signed, verifier: tight).code == .xmlDepthExceeded)
    }

    @Test func textBytesMaxBoundary() throws {
        let (signed, measured) = try Self.signedAndMeasured()
        #expect(measured.textBytes > 500)  // the base64 certificate
        #expect(try Fixture.makeVerifier(limits: XMLLimits(textBytesMax: measured.textBytes)).verify(signed).head.txCode == "PAY.SINGLE")
        let tight = try Fixture.makeVerifier(limits: XMLLimits(textBytesMax: measured.textBytes - 1))
        #expect(try rejection(of: signed, verifier: tight).code == .xmlTextTooLong)
    }

    @Test func attributesPerElementMaxBoundary() throws {
        // Every element of a DirectLink-signed message carries at most one attribute or namespace declaration.
        let signed = try Fixture.signed()
        #expect(try Fixture.makeVerifier(limits: XMLLimits(attributesPerElementMax: 1)).verify(signed).head.txCode == "PAY.SINGLE")
        let three = try String(decoding: signed, as: UTF8.self)
            .replacingExactly("<Message xmlns=\"urn:directlink:1\">", with: "<Message xmlns=\"urn:directlink:1\" xmlns:a=\"urn:a\" xmlns:b=\"urn:b\">")
        #expect(try Fixture.makeVerifier(limits: XMLLimits(attributesPerElementMax: 3)).verify(three.bytes).head.txCode == "PAY.SINGLE")
        let tight = try Fixture.makeVerifier(limits: XMLLimits(attributesPerElementMax: 2))
        #expect(try rejection(of: three, verifier: tight).code == .xmlTooManyAttributes)
    }

    @Test func cmsContentIsParsedUnderTheSameLimits() throws {
        let signed = try Fixture.signer("corpa-maker-ec").signCMS(try Fixture.message("single-payment.xml"))
        let tight = try Fixture.makeVerifier(limits: XMLLimits(depthMax: 3))
        #expect(try rejection(of: signed, verifier: tight).code == .xmlDepthExceeded)
    }
}

/// Every algorithm the profile lists is accepted when the key matches it, not only the ones DirectLink emits.
@Suite struct ProfileAlgorithmAcceptanceTests {
    static let rsaSHA256 = "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"
    static let sha256Digest = "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>"

    @Test(arguments: [
        ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", SignatureAlgorithm.rsaPKCS1v15(.sha384), "http://www.w3.org/2001/04/xmldsig-more#sha384"),
        ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", SignatureAlgorithm.rsaPKCS1v15(.sha512), "http://www.w3.org/2001/04/xmlenc#sha512"),
        ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", SignatureAlgorithm.rsaPKCS1v15(.sha256), "http://www.w3.org/2001/04/xmlenc#sha512"),
    ])
    func rsaWithLongerDigestsIsAccepted(signatureMethod: String, algorithm: SignatureAlgorithm, digestMethod: String) throws {
        let text = String(decoding: try Fixture.signed(), as: UTF8.self)
            .replacingOccurrences(of: Self.rsaSHA256, with: "<ds:SignatureMethod Algorithm=\"\(signatureMethod)\"/>")
            .replacingOccurrences(of: Self.sha256Digest, with: "<ds:DigestMethod Algorithm=\"\(digestMethod)\"/>")
        let resigned = try Resigner.resign(text, algorithm: algorithm)
        #expect(try Fixture.verifier().verify(resigned).head.serialNo == "A20261125000003")
        // The signature value really is over the stronger digest: verifying it as rsa-sha256 fails.
        let relabelled = try String(decoding: resigned, as: UTF8.self)
            .replacingExactly("Algorithm=\"\(signatureMethod)\"", with: "Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"")
        if signatureMethod.hasSuffix("rsa-sha256") { return }
        #expect(try rejection(of: relabelled).code == .signatureInvalid)
    }

    @Test func digestOfTheWrongLengthIsDigestMismatch() throws {
        let text = String(decoding: try Fixture.signed(), as: UTF8.self)
            .replacingOccurrences(of: Self.sha256Digest, with: "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha512\"/>")
        // SHA-512 declared, the old 32-byte SHA-256 value kept: no prefix comparison may pass it.
        #expect(try rejection(of: text).code == .digestMismatch)
    }
}
