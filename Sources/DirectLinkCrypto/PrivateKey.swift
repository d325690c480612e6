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

    /// SHA-256(`label` ‖ 0x00 ‖ the private scalar, big-endian, padded to the curve's size): a 32-byte secret only a
    /// holder of this EC (or SM2) private key can compute, separate for each label (the audit log's group seals), and
    /// the same however the key file is encoded (PKCS#8 or SEC1, compressed point or not). Copies are cleansed.
    public func derivedSecret(label: String) throws -> [UInt8] {
        switch keyType {
        case .ecP256, .sm2: break
        default: throw CryptoError.openSSL(.unsupportedKey, "a derived secret needs an EC private key")
        }
        OpenSSLErrorQueue.clear()
        var scalar: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pkey, "priv", &scalar) == 1, let scalar else {
            throw CryptoError.openSSL(.malformedKey, "the private scalar cannot be read")
        }
        defer { BN_clear_free(scalar) }
        let width = Int(EVP_PKEY_get_bits(pkey) + 7) / 8
        var input = Array(label.utf8) + [0]
        let start = input.count
        input.append(contentsOf: [UInt8](repeating: 0, count: width))
        defer { input.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        let written = input.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return BN_bn2binpad(scalar, base + start, Int32(width))
        }
        guard written == Int32(width) else { throw CryptoError.openSSL(.malformedKey, "the private scalar does not fit the curve") }
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
