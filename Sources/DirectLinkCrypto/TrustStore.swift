import Foundation
internal import COpenSSL

/// Trust anchors plus CRLs, and the only way to obtain a `ValidatedChain`.
///
/// Revocation policy: when at least one CRL is given, every certificate in the chain (leaf and CAs below the
/// root) must be covered by a current CRL from its issuer (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
/// a missing, expired or not-yet-valid CRL fails closed with `crlUnavailable`. With no CRLs at all, revocation
/// is not checked — only for tests and for deployments that revoke by other means.
///
/// Owns one X509_STORE (freed in deinit). `@unchecked Sendable` is safe: the store is filled in init and only read
/// afterwards (X509_STORE locks internally; each validation has its own X509_STORE_CTX), and the result cache
/// is guarded by its own lock.
public final class TrustStore: @unchecked Sendable {
    public let anchors: [Certificate]
    let store: OpaquePointer
    let crls: [RevocationList]
    let cache: ValidationCache

    public init(caCertificates: [Certificate], crlPEMs: [[UInt8]]) throws {
        guard !caCertificates.isEmpty else { throw CryptoError(.certificateUntrusted, "a trust store needs at least one CA certificate") }
        var lists: [RevocationList] = []
        for pem in crlPEMs { lists += try RevocationList.loadPEM(pem) }
        guard let store = X509_STORE_new() else { throw CryptoError.openSSL(.internalError, "X509_STORE_new failed") }
        self.store = store
        self.anchors = caCertificates
        self.crls = lists
        self.cache = ValidationCache(entriesMax: ValidationCache.defaultEntriesMax)
        // From here deinit frees the store. X509_STORE_add_cert/add_crl take their own references.
        for certificate in caCertificates where X509_STORE_add_cert(store, certificate.x509) != 1 {
            throw CryptoError.openSSL(.malformedCertificate, "cannot add CA \(certificate.subject)")
        }
        for list in lists where X509_STORE_add_crl(store, list.crl) != 1 {
            throw CryptoError.openSSL(.malformedCRL, "cannot add CRL from \(list.issuer)")
        }
    }

    public convenience init(caBundlePath: String, crlPaths: [String]) throws {
        guard let bundle = FileManager.default.contents(atPath: caBundlePath) else {
            throw CryptoError(.malformedCertificate, "cannot read CA bundle \(caBundlePath)")
        }
        var crlPEMs: [[UInt8]] = []
        for path in crlPaths {
            guard let crl = FileManager.default.contents(atPath: path) else { throw CryptoError(.crlUnavailable, "cannot read CRL \(path)") }
            crlPEMs.append([UInt8](crl))
        }
        try self.init(caCertificates: Certificate.loadPEMBundle([UInt8](bundle)), crlPEMs: crlPEMs)
    }

    deinit { X509_STORE_free(store) }

    /// Validates from DER. A cached result costs one SHA-256 and one dictionary lookup; nothing is parsed.
    public func validate(leafDER: [UInt8], intermediatesDER: [[UInt8]], at time: Date) throws -> ValidatedChain {
        let key = try ValidationCache.key(leafDER: leafDER, intermediatesDER: intermediatesDER)
        if let cached = cache.lookup(key, at: time) { return cached }
        let leaf = try Certificate(der: leafDER)
        let intermediates = try intermediatesDER.map { try Certificate(der: $0) }
        let chain = try validateUncached(leaf: leaf, intermediates: intermediates, at: time)
        cache.insert(key, chain)
        return chain
    }

    /// Builds and checks the chain with X509_STORE: signatures, validity at `time`, CRLs for every certificate,
    /// then the leaf's keyUsage (present, with digitalSignature or nonRepudiation). `intermediates` are untrusted
    /// helpers. Codes: certificateUntrusted, certificateExpired, certificateNotYetValid, certificateRevoked,
    /// crlUnavailable, certificateKeyUsage.
    public func validate(leaf: Certificate, intermediates: [Certificate], at time: Date) throws -> ValidatedChain {
        let key = try ValidationCache.key(leafDER: leaf.der, intermediatesDER: intermediates.map(\.der))
        if let cached = cache.lookup(key, at: time) { return cached }
        let chain = try validateUncached(leaf: leaf, intermediates: intermediates, at: time)
        cache.insert(key, chain)
        return chain
    }

    func validateUncached(leaf: Certificate, intermediates: [Certificate], at time: Date) throws -> ValidatedChain {
        OpenSSLErrorQueue.clear()
        guard let context = X509_STORE_CTX_new() else { throw CryptoError.openSSL(.internalError, "X509_STORE_CTX_new failed") }
        defer { X509_STORE_CTX_free(context) }
        guard let untrusted = CDirectLink_sk_X509_new_null() else { throw CryptoError.openSSL(.internalError, "sk_X509_new_null failed") }
        defer { CDirectLink_sk_X509_free(untrusted) }  // the Certificates own the X509s; the stack only borrows them
        for certificate in intermediates where CDirectLink_sk_X509_push(untrusted, certificate.x509) <= 0 {
            throw CryptoError.openSSL(.internalError, "sk_X509_push failed")
        }
        return try withExtendedLifetime(intermediates) {
            guard X509_STORE_CTX_init(context, store, leaf.x509, untrusted) == 1 else {
                throw CryptoError.openSSL(.internalError, "X509_STORE_CTX_init failed")
            }
            if !crls.isEmpty { X509_STORE_CTX_set_flags(context, UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL)) }
            X509_STORE_CTX_set_time(context, 0, time_t(time.timeIntervalSince1970.rounded(.down)))
            guard X509_verify_cert(context) == 1 else {
                let error = X509_STORE_CTX_get_error(context)
                let depth = X509_STORE_CTX_get_error_depth(context)
                let text = X509_verify_cert_error_string(Int(error)).map { String(cString: $0) } ?? "error \(error)"
                _ = OpenSSLErrorQueue.drain()
                throw CryptoError(Self.code(forVerifyError: error), "\(text) at depth \(depth) for \(leaf.subject)")
            }
            try Self.checkSigningKeyUsage(leaf)
            let chain = try Self.chain(of: context, leaf: leaf)
            return ValidatedChain(chain: chain, validFrom: validFrom(chain), validUntil: validUntil(chain))
        }
    }

    /// The leaf must carry keyUsage with digitalSignature or nonRepudiation.
    static func checkSigningKeyUsage(_ leaf: Certificate) throws {
        guard X509_get_extension_flags(leaf.x509) & UInt32(EXFLAG_KUSAGE) != 0 else {
            throw CryptoError(.certificateKeyUsage, "leaf has no keyUsage extension: \(leaf.subject)")
        }
        let usage = X509_get_key_usage(leaf.x509)
        guard usage & UInt32(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION) != 0 else {
            throw CryptoError(.certificateKeyUsage, "leaf keyUsage allows neither digitalSignature nor nonRepudiation: \(leaf.subject)")
        }
    }

    /// The verified chain, leaf first. Certificates are re-wrapped with their own X509 reference.
    static func chain(of context: OpaquePointer, leaf: Certificate) throws -> [Certificate] {
        guard let stack = X509_STORE_CTX_get0_chain(context) else { throw CryptoError.openSSL(.internalError, "no verified chain") }
        var chain: [Certificate] = [leaf]
        let count = CDirectLink_sk_X509_num(stack)
        if count > 1 {
            for index in 1..<count {
                guard let x509 = CDirectLink_sk_X509_value(stack, index), X509_up_ref(x509) == 1 else {
                    throw CryptoError.openSSL(.internalError, "chain element \(index) unavailable")
                }
                chain.append(try Certificate(taking: x509))
            }
        }
        return chain
    }

    /// CRLs that speak for some certificate in `chain` (issued by the subject of a chain member).
    private func relevantCRLs(_ chain: [Certificate]) -> [RevocationList] {
        crls.filter { list in chain.contains { X509_NAME_cmp(X509_get_subject_name($0.x509), X509_CRL_get_issuer(list.crl)) == 0 } }
    }

    private func validFrom(_ chain: [Certificate]) -> Date {
        (chain.map(\.notBefore) + relevantCRLs(chain).map(\.thisUpdate)).max() ?? .distantPast
    }

    private func validUntil(_ chain: [Certificate]) -> Date {
        (chain.map(\.notAfter) + relevantCRLs(chain).compactMap(\.nextUpdate)).min() ?? .distantPast
    }

    /// Maps X509_verify_cert errors to stable codes. Unknown errors fail closed as certificateUntrusted.
    static func code(forVerifyError error: Int32) -> CryptoError.Code {
        switch error {
        case X509_V_ERR_CERT_HAS_EXPIRED: .certificateExpired
        case X509_V_ERR_CERT_NOT_YET_VALID: .certificateNotYetValid
        case X509_V_ERR_CERT_REVOKED: .certificateRevoked
        case X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID,
             X509_V_ERR_CRL_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE,
             X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD, X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD,
             X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, X509_V_ERR_KEYUSAGE_NO_CRL_SIGN, X509_V_ERR_DIFFERENT_CRL_SCOPE:
            .crlUnavailable
        case X509_V_ERR_INVALID_PURPOSE: .certificateKeyUsage
        default: .certificateUntrusted
        }
    }
}

/// One parsed CRL. Owns its X509_CRL (freed in deinit); immutable after init, hence `@unchecked Sendable`.
final class RevocationList: @unchecked Sendable {
    let crl: OpaquePointer
    let issuer: String
    let thisUpdate: Date
    let nextUpdate: Date?

    /// Takes ownership of `crl`, freeing it if it cannot be decoded (deinit never runs for a failed init).
    private init(taking crl: OpaquePointer) throws {
        guard let last = Certificate.date(X509_CRL_get0_lastUpdate(crl)) else {
            X509_CRL_free(crl)
            throw CryptoError.openSSL(.malformedCRL, "CRL thisUpdate cannot be decoded")
        }
        self.crl = crl
        thisUpdate = last
        nextUpdate = Certificate.date(X509_CRL_get0_nextUpdate(crl))
        issuer = (X509_CRL_get_issuer(crl)).map { name in
            (try? collectingBIO { _ = X509_NAME_print_ex($0, name, 0, CDirectLink_XN_FLAG_RFC2253_UTF8()) })
                .map { String(decoding: $0, as: UTF8.self) } ?? "?"
        } ?? "?"
    }

    deinit { X509_CRL_free(crl) }

    /// Every CRL in one PEM blob (a file may concatenate several). Throws malformedCRL if there is none.
    static func loadPEM(_ pem: [UInt8]) throws -> [RevocationList] {
        OpenSSLErrorQueue.clear()
        var lists: [RevocationList] = []
        try withReadOnlyBIO(pem) { bio in
            while let crl = PEM_read_bio_X509_CRL(bio, nil, nil, nil) {
                lists.append(try RevocationList(taking: crl))
            }
            let last = ERR_peek_last_error()
            if last != 0, !(CDirectLink_ERR_GET_LIB(last) == ERR_LIB_PEM && CDirectLink_ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
                throw CryptoError.openSSL(.malformedCRL, "damaged CRL after \(lists.count)")
            }
            OpenSSLErrorQueue.clear()
        }
        guard !lists.isEmpty else { throw CryptoError(.malformedCRL, "PEM holds no CRL") }
        return lists
    }
}
