import Foundation
internal import COpenSSL

/// PKCS#7/CMS SignedData with attached content.
///
/// Limits: one signer; SHA-256/384/512 digests; RSA ≥ 2048 or ECDSA P-256 signers. Debian 12's OpenSSL 3.0
/// cannot produce SM2 SignedData, so an SM2 key or signer certificate is `cmsUnsupported` in both directions.
public enum CMS {
    /// Largest DER accepted by `verify`; larger input is `cmsMalformed` before any parsing.
    public static let derBytesMax = 16 * 1024 * 1024

    /// Attached SignedData (DER): SHA-256 digest, signed attributes, signer certificate plus `extraCertificates`.
    public static func sign(content: [UInt8], key: PrivateKey, certificate: Certificate,
                            extraCertificates: [Certificate]) throws -> [UInt8] {
        if key.keyType == .sm2 { throw CryptoError(.cmsUnsupported, "OpenSSL 3.0 cannot sign CMS with SM2") }
        try KeyPolicy.checkKey(key.keyType)
        OpenSSLErrorQueue.clear()
        guard X509_check_private_key(certificate.x509, key.pkey) == 1 else {
            throw CryptoError.openSSL(.keyAlgorithmMismatch, "private key does not match certificate \(certificate.subject)")
        }
        guard let extras = CDirectLink_sk_X509_new_null() else { throw CryptoError.openSSL(.internalError, "sk_X509_new_null failed") }
        defer { CDirectLink_sk_X509_free(extras) }  // borrowed X509s; CMS_sign takes its own references
        for extra in extraCertificates where CDirectLink_sk_X509_push(extras, extra.x509) <= 0 {
            throw CryptoError.openSSL(.internalError, "sk_X509_push failed")
        }
        let flags = UInt32(CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP)
        return try withExtendedLifetime(extraCertificates) {
            try withReadOnlyBIO(content) { data in
                guard let cms = CMS_sign(nil, nil, extras, nil, flags) else { throw CryptoError.openSSL(.internalError, "CMS_sign failed") }
                defer { CMS_ContentInfo_free(cms) }
                guard CMS_add1_signer(cms, certificate.x509, key.pkey, EVP_sha256(), flags) != nil else {
                    throw CryptoError.openSSL(.internalError, "CMS_add1_signer failed")
                }
                guard CMS_final(cms, data, nil, flags) == 1 else { throw CryptoError.openSSL(.internalError, "CMS_final failed") }
                return try encodeDER { i2d_CMS_ContentInfo(cms, $0) }
            }
        }
    }

    /// Verifies attached SignedData. Checks in order: size and DER (cmsMalformed), signedData with attached content
    /// and exactly one signer (cmsUnsupported / cmsMalformed), digest sha256/384/512 (unsupportedAlgorithm), signer key
    /// policy (cmsUnsupported for SM2, weakKey, unsupportedKey), signature and content digest (cmsSignatureInvalid),
    /// then the signer chain via `trust.validate` at `time`. Returns exactly the bytes that were signed.
    public static func verify(der: [UInt8], trust: TrustStore, at time: Date) throws -> (content: [UInt8], chain: ValidatedChain) {
        guard der.count <= derBytesMax else { throw CryptoError(.cmsMalformed, "CMS of \(der.count) bytes exceeds \(derBytesMax)") }
        OpenSSLErrorQueue.clear()
        guard let cms = decodeDER(der, { d2i_CMS_ContentInfo(nil, $0, $1) }, free: { CMS_ContentInfo_free($0) }) else {
            throw CryptoError.openSSL(.cmsMalformed, "not a DER CMS ContentInfo (or trailing bytes)")
        }
        defer { CMS_ContentInfo_free(cms) }
        guard OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed else { throw CryptoError(.cmsUnsupported, "not SignedData") }
        guard CMS_is_detached(cms) == 0 else { throw CryptoError(.cmsUnsupported, "detached content is not supported") }
        let signer = try soleSigner(cms)
        let content = try collectingBIO { out in
            guard CMS_verify(cms, nil, nil, nil, out, UInt32(CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY)) == 1 else {
                throw CryptoError.openSSL(.cmsSignatureInvalid, "CMS signature or content digest does not verify")
            }
        }
        let chain = try trust.validate(leaf: signer, intermediates: try otherCertificates(cms, besides: signer), at: time)
        return (content, chain)
    }

    /// The one signer's certificate, after checking its digest algorithm and key policy.
    private static func soleSigner(_ cms: OpaquePointer) throws -> Certificate {
        guard let infos = CMS_get0_SignerInfos(cms) else { throw CryptoError.openSSL(.cmsMalformed, "no SignerInfos") }
        let count = CDirectLink_sk_CMS_SignerInfo_num(infos)
        guard count >= 1 else { throw CryptoError(.cmsMalformed, "SignedData without a signer") }
        guard count == 1 else { throw CryptoError(.cmsUnsupported, "\(count) signers; exactly one is supported") }
        guard let info = CDirectLink_sk_CMS_SignerInfo_value(infos, 0) else { throw CryptoError(.cmsMalformed, "signer missing") }
        // Attach certificates from the message to the SignerInfo so its certificate can be read before verifying.
        guard let all = CMS_get1_certs(cms) else { throw CryptoError.openSSL(.cmsMalformed, "SignedData carries no certificates") }
        defer { CDirectLink_sk_X509_pop_free(all) }
        guard CMS_set1_signers_certs(cms, all, 0) >= 1 else {
            throw CryptoError.openSSL(.cmsMalformed, "signer certificate not included in SignedData")
        }
        var digestAlgorithm: UnsafeMutablePointer<X509_ALGOR>?
        var signerX509: OpaquePointer?
        CMS_SignerInfo_get0_algs(info, nil, &signerX509, &digestAlgorithm, nil)
        var digestObject: OpaquePointer?
        X509_ALGOR_get0(&digestObject, nil, nil, digestAlgorithm)
        let digest = OBJ_obj2nid(digestObject)
        guard [NID_sha256, NID_sha384, NID_sha512].contains(digest) else {
            throw CryptoError(.unsupportedAlgorithm, "CMS digest \(digest) is not SHA-256/384/512")
        }
        guard let signerX509, X509_up_ref(signerX509) == 1 else { throw CryptoError(.cmsMalformed, "signer certificate not found") }
        let signer = try Certificate(taking: signerX509)
        if signer.keyType == .sm2 { throw CryptoError(.cmsUnsupported, "SM2 CMS signers are not supported with OpenSSL 3.0") }
        try KeyPolicy.checkKey(signer.keyType)
        return signer
    }

    /// Certificates in the message other than the signer's: untrusted helpers for chain building.
    private static func otherCertificates(_ cms: OpaquePointer, besides signer: Certificate) throws -> [Certificate] {
        guard let all = CMS_get1_certs(cms) else { return [] }
        defer { CDirectLink_sk_X509_pop_free(all) }
        var result: [Certificate] = []
        for index in 0..<CDirectLink_sk_X509_num(all) {
            guard let x509 = CDirectLink_sk_X509_value(all, index), X509_cmp(x509, signer.x509) != 0 else { continue }
            guard X509_up_ref(x509) == 1 else { throw CryptoError.openSSL(.internalError, "X509_up_ref failed") }
            result.append(try Certificate(taking: x509))
        }
        return result
    }
}
