import Foundation
import Testing
@testable import DirectLinkCrypto

struct CMSTests {
    static let content: [UInt8] = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Batch payer=\"华东精密\">1</Batch>\n".utf8)
    static let now = Date()

    @Test(arguments: ["corpa-maker-rsa", "corpa-maker-ec", "bank-signing", "bank-signing-ec"])
    func signVerifyRoundTripReturnsExactContent(name: String) throws {
        let certificate = try PKI.certificate(name)
        let der = try CMS.sign(content: Self.content, key: PKI.key(name), certificate: certificate,
                               extraCertificates: [PKI.certificate("intermediate-ca")])
        let (content, chain) = try CMS.verify(der: der, trust: PKI.trustStore(), at: Self.now)
        #expect(content == Self.content)
        #expect(chain.leaf == certificate)
        #expect(chain.identity.subject == certificate.subject)
    }

    @Test func cmsFromOpenSSLCLIVerifies() throws {
        try withTemporaryDirectory { directory in
            let input = directory.appendingPathComponent("content")
            let output = directory.appendingPathComponent("signed.der")
            try input.write(Self.content)
            let result = try OpenSSLCLI.run(["cms", "-sign", "-nodetach", "-binary", "-outform", "DER", "-md", "sha256",
                                             "-in", input.path, "-signer", PKI.path("corpa-approver2.pem"),
                                             "-inkey", PKI.path("corpa-approver2.key"), "-out", output.path])
            #expect(result.status == 0, "\(result.output)")
            let (content, chain) = try CMS.verify(der: output.readBytes(), trust: PKI.trustStore(), at: Self.now)
            #expect(content == Self.content)
            #expect(chain.leaf.subjectAttribute("CN") == "APPR02")
        }
    }

    @Test func ourCMSVerifiesWithOpenSSLCLI() throws {
        let der = try CMS.sign(content: Self.content, key: PKI.key("corpa-maker-ec"), certificate: PKI.certificate("corpa-maker-ec"), extraCertificates: [])
        try withTemporaryDirectory { directory in
            let signed = directory.appendingPathComponent("signed.der")
            let output = directory.appendingPathComponent("content")
            try signed.write(der)
            let result = try OpenSSLCLI.run(["cms", "-verify", "-inform", "DER", "-in", signed.path, "-binary", "-purpose", "any",
                                             "-CAfile", PKI.path("ca-bundle.pem"), "-out", output.path])
            #expect(result.status == 0, "\(result.output)")
            #expect(try output.readBytes() == Self.content)
        }
    }

    @Test func tamperedContentIsRejected() throws {
        var der = try CMS.sign(content: Self.content, key: PKI.key("corpa-maker-ec"), certificate: PKI.certificate("corpa-maker-ec"), extraCertificates: [])
        let marker = Array("<Batch".utf8)
        let offset = try #require((0...(der.count - marker.count)).first { Array(der[$0..<($0 + marker.count)]) == marker })
        der[offset + 1] = UInt8(ascii: "b")
        #expect(cryptoErrorCode { _ = try CMS.verify(der: der, trust: PKI.trustStore(), at: Self.now) } == .cmsSignatureInvalid)
    }

    @Test(arguments: [("revoked", CryptoError.Code.certificateRevoked), ("untrusted", .certificateUntrusted), ("expired", .certificateExpired), ("wrong-ku", .certificateKeyUsage)])
    func badSignerIsRejectedWithChainCode(name: String, code: CryptoError.Code) throws {
        let der = try CMS.sign(content: Self.content, key: PKI.key(name), certificate: PKI.certificate(name), extraCertificates: [])
        #expect(cryptoErrorCode { _ = try CMS.verify(der: der, trust: PKI.trustStore(), at: Self.now) } == code)
    }

    @Test func sm2CMSIsUnsupported() throws {
        let code = cryptoErrorCode { _ = try CMS.sign(content: Self.content, key: PKI.key("corpa-maker-sm2"), certificate: PKI.certificate("corpa-maker-sm2"), extraCertificates: []) }
        #expect(code == .cmsUnsupported)
    }

    @Test func keyThatDoesNotMatchTheCertificateIsRefused() throws {
        let code = cryptoErrorCode { _ = try CMS.sign(content: Self.content, key: PKI.key("corpa-approver1"), certificate: PKI.certificate("corpa-approver2"), extraCertificates: []) }
        #expect(code == .keyAlgorithmMismatch)
    }

    @Test func malformedCMSIsRejected() throws {
        let trust = try PKI.trustStore()
        #expect(cryptoErrorCode { _ = try CMS.verify(der: [], trust: trust, at: Self.now) } == .cmsMalformed)
        #expect(cryptoErrorCode { _ = try CMS.verify(der: [0x30, 0x03, 0x02, 0x01, 0x00], trust: trust, at: Self.now) } == .cmsMalformed)
        let der = try CMS.sign(content: Self.content, key: PKI.key("corpa-maker-ec"), certificate: PKI.certificate("corpa-maker-ec"), extraCertificates: [])
        #expect(cryptoErrorCode { _ = try CMS.verify(der: der + [0], trust: trust, at: Self.now) } == .cmsMalformed)
        #expect(cryptoErrorCode { _ = try CMS.verify(der: [UInt8](repeating: 0x30, count: CMS.derBytesMax + 1), trust: trust, at: Self.now) } == .cmsMalformed)
    }

    @Test func detachedCMSIsUnsupported() throws {
        try withTemporaryDirectory { directory in
            let input = directory.appendingPathComponent("content")
            let output = directory.appendingPathComponent("signed.der")
            try input.write(Self.content)
            let result = try OpenSSLCLI.run(["cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256", "-in", input.path,
                                             "-signer", PKI.path("corpa-maker-ec.pem"), "-inkey", PKI.path("corpa-maker-ec.key"), "-out", output.path])
            #expect(result.status == 0, "\(result.output)")
            #expect(cryptoErrorCode { _ = try CMS.verify(der: output.readBytes(), trust: PKI.trustStore(), at: Self.now) } == .cmsUnsupported)
        }
    }

    @Test func sha1SignerDigestIsRejected() throws {
        try withTemporaryDirectory { directory in
            let input = directory.appendingPathComponent("content")
            let output = directory.appendingPathComponent("signed.der")
            try input.write(Self.content)
            let result = try OpenSSLCLI.run(["cms", "-sign", "-nodetach", "-binary", "-outform", "DER", "-md", "sha1", "-in", input.path,
                                             "-signer", PKI.path("corpa-maker-rsa.pem"), "-inkey", PKI.path("corpa-maker-rsa.key"), "-out", output.path])
            #expect(result.status == 0, "\(result.output)")
            #expect(cryptoErrorCode { _ = try CMS.verify(der: output.readBytes(), trust: PKI.trustStore(), at: Self.now) } == .unsupportedAlgorithm)
        }
    }
}
