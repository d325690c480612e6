import Foundation
import Testing
@testable import DirectLinkCrypto

struct CertificateTests {
    @Test func subjectIsRFC2253WithReadableChinese() throws {
        let certificate = try PKI.certificate("corpa-maker-ec")
        #expect(certificate.subject == "CN=MAKER01,OU=CORPA001,O=\(PKI.corpAName),C=CN")
        #expect(certificate.issuer == "CN=DirectLink Demo Issuing CA,O=DirectLink Demo Bank,C=CN")
        #expect(certificate.subjectAttribute("O") == PKI.corpAName)
        #expect(certificate.subjectAttribute("OU") == "CORPA001")
        #expect(certificate.subjectAttribute("CN") == "MAKER01")
        #expect(certificate.subjectAttribute("L") == nil)
        #expect(certificate.subjectAttribute("NOT-AN-ATTRIBUTE") == nil)
        #expect(try PKI.certificate("corpb-member2").subjectAttribute("O") == PKI.corpBName)
    }

    @Test(arguments: ["corpa-maker-rsa", "corpa-maker-sm2", "bank-server"])
    func fingerprintAndSerialMatchOpenSSLCLI(name: String) throws {
        let certificate = try PKI.certificate(name)
        let result = try OpenSSLCLI.run(["x509", "-in", PKI.path("\(name).pem"), "-noout", "-serial", "-fingerprint", "-sha256"])
        #expect(result.output.contains("serial=\(certificate.serialNumberHex)\n"), "\(result.output)")
        let cliFingerprint = result.output.split(separator: "\n").first { $0.contains("Fingerprint=") }
            .map { $0.split(separator: "=").last.map(String.init) ?? "" }?.replacingOccurrences(of: ":", with: "").lowercased()
        #expect(cliFingerprint == certificate.fingerprintSHA256)
        #expect(certificate.fingerprintSHA256.count == 64)
    }

    @Test func validityDatesAreDecoded() throws {
        let expired = try PKI.certificate("expired")
        #expect(expired.notBefore == Date(timeIntervalSince1970: 1_577_836_800))  // 2020-01-01T00:00:00Z
        #expect(expired.notAfter == Date(timeIntervalSince1970: 1_609_459_200))   // 2021-01-01T00:00:00Z
        let root = try PKI.certificate("root-ca")
        #expect(root.notAfter.timeIntervalSince(root.notBefore) > 29 * 365 * 86_400)
    }

    @Test func derAndPEMRoundTrip() throws {
        let certificate = try PKI.certificate("corpa-approver1")
        let fromDER = try Certificate(der: certificate.der)
        #expect(fromDER == certificate)
        #expect(fromDER.hashValue == certificate.hashValue)
        let fromPEM = try Certificate(pem: Array(certificate.pemString.utf8))
        #expect(fromPEM == certificate)
        #expect(certificate.pemString == String(decoding: try PKI.bytes("corpa-approver1.pem"), as: UTF8.self))
    }

    @Test func bundleLoadsEveryCertificateInOrder() throws {
        let bundle = try Certificate.loadPEMBundle(PKI.bytes("ca-bundle.pem"))
        #expect(bundle.map(\.subject) == [try PKI.certificate("root-ca").subject, try PKI.certificate("intermediate-ca").subject])
    }

    @Test func malformedCertificatesAreRejected() throws {
        let der = try PKI.certificate("corpa-admin").der
        #expect(cryptoErrorCode { _ = try Certificate(der: der + [0]) } == .malformedCertificate)
        #expect(cryptoErrorCode { _ = try Certificate(der: Array(der.dropLast())) } == .malformedCertificate)
        #expect(cryptoErrorCode { _ = try Certificate(der: []) } == .malformedCertificate)
        #expect(cryptoErrorCode { _ = try Certificate(pem: Array("hello".utf8)) } == .malformedCertificate)
        #expect(cryptoErrorCode { _ = try Certificate.loadPEMBundle(Array("no pem here".utf8)) } == .malformedCertificate)
        var damaged = try PKI.bytes("ca-bundle.pem")
        damaged[damaged.count - 200] = UInt8(ascii: "!")
        #expect(cryptoErrorCode { _ = try Certificate.loadPEMBundle(damaged) } == .malformedCertificate)
    }
}
