import Foundation
internal import COpenSSL

/// An X.509 certificate. Parsing says nothing about trust: only `TrustStore.validate` does that.
///
/// Owns one X509 and its public EVP_PKEY, both freed in deinit; every derived field is computed once in init,
/// so `verify` re-parses nothing. `@unchecked Sendable` is safe: both pointers are set once and only read
/// afterwards, and OpenSSL allows concurrent reads of an X509 and concurrent verification with one EVP_PKEY.
public final class Certificate: @unchecked Sendable, Hashable {
    let x509: OpaquePointer
    let publicKey: OpaquePointer
    public let der: [UInt8]
    public let subject: String
    public let issuer: String
    public let serialNumberHex: String
    public let fingerprintSHA256: String
    public let keyType: KeyType
    public let notBefore: Date
    public let notAfter: Date

    /// Takes ownership of `x509` (the caller must not free it, even when this throws).
    init(taking x509: OpaquePointer) throws {
        guard let publicKey = X509_get_pubkey(x509) else {
            X509_free(x509)
            throw CryptoError.openSSL(.malformedCertificate, "certificate public key cannot be decoded")
        }
        // Decode every field before storing anything: a throwing init that has not set all stored properties
        // never runs deinit, so the two pointers are freed here on failure.
        let fields: Fields
        do {
            fields = try Fields(x509: x509, publicKey: publicKey)
        } catch {
            EVP_PKEY_free(publicKey)
            X509_free(x509)
            throw error
        }
        self.x509 = x509
        self.publicKey = publicKey
        der = fields.der
        subject = fields.subject
        issuer = fields.issuer
        serialNumberHex = fields.serialNumberHex
        fingerprintSHA256 = fields.fingerprintSHA256
        keyType = fields.keyType
        notBefore = fields.notBefore
        notAfter = fields.notAfter
    }

    private struct Fields {
        let der: [UInt8], subject: String, issuer: String, serialNumberHex: String, fingerprintSHA256: String
        let keyType: KeyType, notBefore: Date, notAfter: Date

        init(x509: OpaquePointer, publicKey: OpaquePointer) throws {
            der = try encodeDER { i2d_X509(x509, $0) }
            subject = try Certificate.oneLine(X509_get_subject_name(x509))
            issuer = try Certificate.oneLine(X509_get_issuer_name(x509))
            serialNumberHex = try Certificate.serialHex(x509)
            fingerprintSHA256 = hexString(try Digest.compute(.sha256, der))
            keyType = KeyType(pkey: publicKey)
            guard let start = Certificate.date(X509_get0_notBefore(x509)),
                  let end = Certificate.date(X509_get0_notAfter(x509)) else {
                throw CryptoError.openSSL(.malformedCertificate, "certificate validity dates cannot be decoded")
            }
            notBefore = start
            notAfter = end
        }
    }

    deinit {
        EVP_PKEY_free(publicKey)
        X509_free(x509)
    }

    public convenience init(der: [UInt8]) throws {
        OpenSSLErrorQueue.clear()
        guard let x509 = decodeDER(der, { d2i_X509(nil, $0, $1) }, free: { X509_free($0) }) else {
            throw CryptoError.openSSL(.malformedCertificate, "not a DER certificate (or trailing bytes)")
        }
        try self.init(taking: x509)
    }

    /// The first certificate in `pem`.
    public convenience init(pem: [UInt8]) throws {
        OpenSSLErrorQueue.clear()
        let x509 = try withReadOnlyBIO(pem) { PEM_read_bio_X509($0, nil, nil, nil) }
        guard let x509 else { throw CryptoError.openSSL(.malformedCertificate, "no PEM certificate found") }
        try self.init(taking: x509)
    }

    /// Every certificate in a PEM bundle, in file order. Throws if there is none or one is damaged.
    public static func loadPEMBundle(_ bytes: [UInt8]) throws -> [Certificate] {
        OpenSSLErrorQueue.clear()
        var certificates: [Certificate] = []
        try withReadOnlyBIO(bytes) { bio in
            while let x509 = PEM_read_bio_X509(bio, nil, nil, nil) {
                certificates.append(try Certificate(taking: x509))
            }
            // Running out of PEM blocks leaves exactly "no start line"; anything else is damage.
            let last = ERR_peek_last_error()
            if last != 0, !(CDirectLink_ERR_GET_LIB(last) == ERR_LIB_PEM && CDirectLink_ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
                throw CryptoError.openSSL(.malformedCertificate, "damaged certificate in PEM bundle after \(certificates.count)")
            }
            OpenSSLErrorQueue.clear()
        }
        guard !certificates.isEmpty else { throw CryptoError(.malformedCertificate, "PEM bundle holds no certificate") }
        return certificates
    }

    public var pemString: String {
        var lines = ["-----BEGIN CERTIFICATE-----"]
        let base64 = Data(der).base64EncodedString()
        var index = base64.startIndex
        while index < base64.endIndex {
            let next = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<next]))
            index = next
        }
        lines.append("-----END CERTIFICATE-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The first value of a subject attribute by short name ("CN", "OU", "O", "C" …), UTF-8.
    public func subjectAttribute(_ shortName: String) -> String? {
        let nid = OBJ_txt2nid(shortName)
        guard nid != NID_undef, let name = X509_get_subject_name(x509) else { return nil }
        let index = X509_NAME_get_index_by_NID(name, nid, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry) else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { CDirectLink_OPENSSL_free(utf8) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    /// Verifies `signature` over `data` with this certificate's public key. Checks, in order:
    /// unsupportedKey (not RSA/P-256/SM2), weakKey (RSA < 2048), unsupportedAlgorithm, keyAlgorithmMismatch,
    /// signatureFormat (ECDSA/SM2 not exactly 64 raw bytes; RSA not modulus-sized), signatureInvalid.
    public func verify(signature: [UInt8], over data: [UInt8], algorithm: SignatureAlgorithm) throws {
        try KeyPolicy.check(keyType, algorithm)
        let native: [UInt8]
        switch algorithm {
        case .rsaPKCS1v15:
            let modulusBytes = Int(EVP_PKEY_get_size(publicKey))
            guard signature.count == modulusBytes else {
                throw CryptoError(.signatureFormat, "RSA signature of \(signature.count) bytes; key needs \(modulusBytes)")
            }
            native = signature
        case .ecdsaP256SHA256, .sm2SM3:
            native = try RawSignature.derFromRaw(signature)
        }
        guard try EVPSignature.verify(pkey: publicKey, algorithm: algorithm, signature: native, data: data) else {
            throw CryptoError(.signatureInvalid, "signature does not match the data and \(keyType) key")
        }
    }

    public static func == (lhs: Certificate, rhs: Certificate) -> Bool { lhs.der == rhs.der }
    public func hash(into hasher: inout Hasher) { hasher.combine(der) }

    // MARK: - Field decoding

    private static func oneLine(_ name: OpaquePointer?) throws -> String {
        guard let name else { throw CryptoError.openSSL(.malformedCertificate, "missing name") }
        let bytes = try collectingBIO { bio in
            guard X509_NAME_print_ex(bio, name, 0, CDirectLink_XN_FLAG_RFC2253_UTF8()) >= 0 else {
                throw CryptoError.openSSL(.malformedCertificate, "name cannot be printed")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func serialHex(_ x509: OpaquePointer) throws -> String {
        guard let serial = X509_get0_serialNumber(x509), let number = ASN1_INTEGER_to_BN(serial, nil) else {
            throw CryptoError.openSSL(.malformedCertificate, "serial number cannot be decoded")
        }
        defer { BN_free(number) }
        guard let hex = takeOpenSSLString(BN_bn2hex(number)) else { throw CryptoError.openSSL(.internalError, "BN_bn2hex failed") }
        return hex
    }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
