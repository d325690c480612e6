import Foundation
import Testing
@testable import DirectLinkCrypto

struct TrustStoreTests {
    static let now = Date()

    @Test(arguments: [
        ("corpa-maker-rsa", PKI.corpAName, "CORPA001", "MAKER01", "RSA-2048"),
        ("corpa-maker-ec", PKI.corpAName, "CORPA001", "MAKER01", "EC-P256"),
        ("corpa-maker-sm2", PKI.corpAName, "CORPA001", "MAKER01", "SM2"),
        ("corpa-approver1", PKI.corpAName, "CORPA001", "APPR01", "EC-P256"),
        ("corpa-approver2", PKI.corpAName, "CORPA001", "APPR02", "EC-P256"),
        ("corpa-approver3", PKI.corpAName, "CORPA001", "APPR03", "EC-P256"),
        ("corpa-admin", PKI.corpAName, "CORPA001", "ADMIN01", "EC-P256"),
        ("corpb-maker-ec", PKI.corpBName, "CORPB001", "MAKER01", "EC-P256"),
        ("corpb-member1", PKI.corpBName, "CORPB001", "MEMB01", "EC-P256"),
        ("corpb-member2", PKI.corpBName, "CORPB001", "MEMB02", "EC-P256"),
        ("corpb-member3", PKI.corpBName, "CORPB001", "MEMB03", "EC-P256"),
        ("bank-signing", "DirectLink Demo Bank", "DirectLink", "bank-signing", "RSA-2048"),
        ("bank-signing-sm2", "DirectLink Demo Bank", "DirectLink", "bank-signing-sm2", "SM2"),
        ("bank-audit", "DirectLink Demo Bank", "DirectLink", "bank-audit", "EC-P256"),
    ])
    func operatorChainsValidateWithIdentity(name: String, organization: String, unit: String, commonName: String, keyType: String) throws {
        let leaf = try PKI.certificate(name)
        let chain = try PKI.trustStore().validate(leaf: leaf, intermediates: [], at: Self.now)
        #expect(chain.identity.subject == "CN=\(commonName),OU=\(unit),O=\(organization),C=CN")
        #expect(chain.identity.issuer == "CN=DirectLink Demo Issuing CA,O=DirectLink Demo Bank,C=CN")
        #expect(chain.identity.keyType == keyType)
        #expect(chain.identity.serialNumberHex == leaf.serialNumberHex)
        #expect(chain.identity.fingerprintSHA256 == leaf.fingerprintSHA256)
        #expect(chain.leaf.subjectAttribute("O") == organization)
        #expect(chain.chain.map(\.subject) == [leaf.subject, try PKI.certificate("intermediate-ca").subject, try PKI.certificate("root-ca").subject])
        #expect(chain.validUntil <= leaf.notAfter && chain.validUntil > Self.now)
    }

    /// The chain-validation codes, in the order OpenSSL and then this module check them.
    @Test(arguments: [
        ("untrusted", CryptoError.Code.certificateUntrusted),
        ("revoked", .certificateRevoked),
        ("expired", .certificateExpired),
        ("wrong-ku", .certificateKeyUsage),
    ])
    func badCertificatesAreRejectedWithTheirCode(name: String, code: CryptoError.Code) throws {
        let trust = try PKI.trustStore()
        let leaf = try PKI.certificate(name)
        #expect(cryptoErrorCode { _ = try trust.validate(leaf: leaf, intermediates: [], at: Self.now) } == code)
        #expect(cryptoErrorCode { _ = try trust.validate(leafDER: leaf.der, intermediatesDER: [], at: Self.now) } == code)
    }

    @Test func untrustedChainStaysUntrustedEvenWithItsRootAsIntermediate() throws {
        let trust = try PKI.trustStore()
        let leaf = try PKI.certificate("untrusted")
        let error = cryptoErrorCode { _ = try trust.validate(leaf: leaf, intermediates: [try PKI.certificate("untrusted-ca")], at: Self.now) }
        #expect(error == .certificateUntrusted)
    }

    @Test func notYetValidIsReported() throws {
        // Without CRLs, so the CRL's own thisUpdate (checked first by OpenSSL) does not mask the certificate's date.
        let trust = try PKI.trustStore(withCRLs: false)
        let leaf = try PKI.certificate("corpa-maker-ec")
        #expect(cryptoErrorCode { _ = try trust.validate(leaf: leaf, intermediates: [], at: leaf.notBefore - 86_400) } == .certificateNotYetValid)
    }

    @Test func missingCRLForAnIssuerFailsClosed() throws {
        let trust = try TrustStore(caCertificates: Certificate.loadPEMBundle(PKI.bytes("ca-bundle.pem")),
                                   crlPEMs: [PKI.bytes("crl/root.crl.pem")])
        let leaf = try PKI.certificate("corpa-maker-ec")
        #expect(cryptoErrorCode { _ = try trust.validate(leaf: leaf, intermediates: [], at: Self.now) } == .crlUnavailable)
    }

    @Test func intermediatesFromTheMessageAreUsedAsUntrustedHelpers() throws {
        let root = try PKI.certificate("root-ca")
        let intermediate = try PKI.certificate("intermediate-ca")
        let trust = try TrustStore(caCertificates: [root], crlPEMs: [PKI.bytes("crls.pem")])
        let leaf = try PKI.certificate("corpa-approver3")
        #expect(cryptoErrorCode { _ = try trust.validate(leaf: leaf, intermediates: [], at: Self.now) } == .certificateUntrusted)
        let chain = try trust.validate(leafDER: leaf.der, intermediatesDER: [intermediate.der], at: Self.now)
        #expect(chain.chain.count == 3)
        #expect(chain.chain.last == root)
    }

    @Test func cachedResultIsReusedButNotPastValidUntil() throws {
        let trust = try PKI.trustStore(withCRLs: false)
        let expired = try PKI.certificate("expired")
        let insideValidity = Date(timeIntervalSince1970: 1_590_969_600)  // 2020-06-01
        let first = try trust.validate(leafDER: expired.der, intermediatesDER: [], at: insideValidity)
        #expect(first.validUntil == expired.notAfter)
        #expect(trust.cache.count == 1)
        let second = try trust.validate(leafDER: expired.der, intermediatesDER: [], at: insideValidity + 3600)
        #expect(second.leaf === first.leaf)  // served from the cache: the same parsed certificate
        #expect(cryptoErrorCode { _ = try trust.validate(leafDER: expired.der, intermediatesDER: [], at: Self.now) } == .certificateExpired)
        #expect(cryptoErrorCode { _ = try trust.validate(leafDER: expired.der, intermediatesDER: [], at: expired.notAfter) } == .certificateExpired)
        #expect(cryptoErrorCode { _ = try trust.validate(leafDER: expired.der, intermediatesDER: [], at: expired.notBefore - 1) } == .certificateNotYetValid)
    }

    @Test func cacheKeyDependsOnIntermediates() throws {
        let leaf = try PKI.certificate("corpa-maker-ec").der
        let intermediate = try PKI.certificate("intermediate-ca").der
        #expect(try ValidationCache.key(leafDER: leaf, intermediatesDER: []) != ValidationCache.key(leafDER: leaf, intermediatesDER: [intermediate]))
    }

    @Test func cacheIsBounded() throws {
        let trust = try PKI.trustStore()
        let cache = ValidationCache(entriesMax: 2)
        for (index, name) in ["corpa-admin", "corpa-approver1", "corpa-approver2"].enumerated() {
            cache.insert([UInt8(index)], try trust.validate(leaf: PKI.certificate(name), intermediates: [], at: Self.now))
        }
        #expect(cache.count == 2)
        #expect(cache.lookup([2], at: Self.now) != nil)
    }

    @Test func storeLoadsFromPaths() throws {
        let trust = try TrustStore(caBundlePath: PKI.path("ca-bundle.pem"), crlPaths: [PKI.path("crl/root.crl.pem"), PKI.path("crl/intermediate.crl.pem")])
        #expect(trust.anchors.count == 2)
        #expect(cryptoErrorCode { _ = try trust.validate(leaf: PKI.certificate("revoked"), intermediates: [], at: Self.now) } == .certificateRevoked)
        #expect(cryptoErrorCode { _ = try TrustStore(caBundlePath: PKI.path("missing.pem"), crlPaths: []) } == .malformedCertificate)
        #expect(cryptoErrorCode { _ = try TrustStore(caBundlePath: PKI.path("ca-bundle.pem"), crlPaths: [PKI.path("missing.crl")]) } == .crlUnavailable)
        #expect(cryptoErrorCode { _ = try TrustStore(caCertificates: [], crlPEMs: []) } == .certificateUntrusted)
        #expect(cryptoErrorCode { _ = try TrustStore(caBundlePath: PKI.path("ca-bundle.pem"), crlPaths: [PKI.path("ca-bundle.pem")]) } == .malformedCRL)
    }
}
