internal import COpenSSL

/// A private key loaded from PEM (PKCS#8 or traditional, unencrypted).
///
/// Owns one EVP_PKEY, freed in deinit. `@unchecked Sendable` is safe: the pointer is set once in init,
/// never mutated, and OpenSSL permits concurrent signing with one key (each call has its own contexts).
public final class PrivateKey: @unchecked Sendable {
    let pkey: OpaquePointer
    public let keyType: KeyType

    public init(pem: [UInt8]) throws {
        OpenSSLErrorQueue.clear()
        let loaded = try withReadOnlyBIO(pem) { bio in
            // A password callback that refuses: an encrypted key fails instead of prompting on a terminal.
            PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil)
        }
        guard let loaded else { throw CryptoError.openSSL(.malformedKey, "not an unencrypted PEM private key") }
        pkey = loaded
        keyType = KeyType(pkey: loaded)
    }

    deinit { EVP_PKEY_free(pkey) }

    /// SHA-256(`label` ‖ 0x00 ‖ the key's DER encoding): a 32-byte secret only a holder of this private key can
    /// compute, separate for each label (the audit log's group seals). The DER copy is cleansed before it is freed.
    public func derivedSecret(label: String) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        var der: UnsafeMutablePointer<UInt8>?
        let length = i2d_PrivateKey(pkey, &der)
        guard length > 0, let der else { throw CryptoError.openSSL(.malformedKey, "the private key cannot be encoded") }
        defer { CDirectLink_OPENSSL_cleanse_free(der, Int(length)) }
        var input = Array(label.utf8) + [0]
        input.append(contentsOf: UnsafeBufferPointer(start: der, count: Int(length)))
        defer { input.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        return try Digest.compute(.sha256, input)
    }

    /// Signs `data`. RSA: PKCS#1 v1.5 signature. ECDSA and SM2: the raw r‖s form, each half left-padded
    /// to 32 bytes (64 bytes total). SM2 uses SM3 and the signer ID "1234567812345678" (GB/T 32918 default).
    /// The key policy is the verifier's: RSA < 2048 bits → weakKey, other curves → unsupportedKey.
    public func sign(_ data: [UInt8], algorithm: SignatureAlgorithm) throws -> [UInt8] {
        try KeyPolicy.check(keyType, algorithm)
        let native = try EVPSignature.sign(pkey: pkey, algorithm: algorithm, data: data)
        switch algorithm {
        case .rsaPKCS1v15: return native
        case .ecdsaP256SHA256, .sm2SM3: return try RawSignature.rawFromDER(native)
        }
    }
}
