import Testing
@testable import DirectLinkCrypto

struct RawCryptoBenchTests {
    @Test(arguments: [("corpa-maker-ec", SignatureAlgorithm.ecdsaP256SHA256), ("corpa-maker-sm2", .sm2SM3), ("corpa-maker-rsa", .rsaPKCS1v15(.sha256))])
    func benchReportsPositiveRates(name: String, algorithm: SignatureAlgorithm) throws {
        let key = try PKI.key(name)
        #expect(try RawCryptoBench.verifyRate(certificate: PKI.certificate(name), key: key, algorithm: algorithm, seconds: 0.05) > 10)
        #expect(try RawCryptoBench.signRate(key: key, algorithm: algorithm, seconds: 0.05) > 10)
    }

    @Test func benchRefusesAKeyThatDoesNotMatchTheCertificate() throws {
        let code = cryptoErrorCode { _ = try RawCryptoBench.verifyRate(certificate: PKI.certificate("corpa-approver1"), key: PKI.key("corpa-approver2"), algorithm: .ecdsaP256SHA256, seconds: 0.01) }
        #expect(code == .signatureInvalid)
    }
}
