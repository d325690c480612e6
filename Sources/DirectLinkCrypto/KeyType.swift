internal import COpenSSL

/// The kind of public/private key a certificate or key file holds.
public enum KeyType: Sendable, Hashable, CustomStringConvertible {
    case rsa(bits: Int)
    case ecP256
    case sm2
    /// Anything else, named e.g. "EC-secp384r1" or "ED25519".
    case other(String)

    public var description: String {
        switch self {
        case .rsa(let bits): "RSA-\(bits)"
        case .ecP256: "EC-P256"
        case .sm2: "SM2"
        case .other(let name): name
        }
    }

    /// Classifies an EVP_PKEY. SM2 keys are recognised both as the "SM2" key type and as "EC" on the SM2 curve.
    init(pkey: OpaquePointer) {
        if EVP_PKEY_is_a(pkey, "RSA") == 1 {
            self = .rsa(bits: Int(EVP_PKEY_get_bits(pkey)))
        } else if EVP_PKEY_is_a(pkey, "SM2") == 1 {
            self = .sm2
        } else if EVP_PKEY_is_a(pkey, "EC") == 1 {
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            let group = EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1
                ? String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
            switch group {
            case "prime256v1", "P-256", "secp256r1": self = .ecP256
            case "SM2": self = .sm2
            default: self = .other("EC-\(group)")
            }
        } else if let name = EVP_PKEY_get0_type_name(pkey) {
            self = .other(String(cString: name))
        } else {
            self = .other("unknown")
        }
    }
}

/// Signature schemes DirectLink accepts. Anything else is not representable.
public enum SignatureAlgorithm: Sendable, Hashable {
    /// RSASSA-PKCS1-v1_5; the digest must be sha256, sha384 or sha512.
    case rsaPKCS1v15(DigestAlgorithm)
    /// ECDSA on P-256 with SHA-256; signatures travel as raw r‖s (64 bytes).
    case ecdsaP256SHA256
    /// SM2 with SM3 and the default signer ID "1234567812345678"; signatures travel as raw r‖s (64 bytes).
    case sm2SM3

    var digest: DigestAlgorithm {
        switch self {
        case .rsaPKCS1v15(let digest): digest
        case .ecdsaP256SHA256: .sha256
        case .sm2SM3: .sm3
        }
    }
}

/// The key policy, applied identically when signing and verifying. Checked in this order:
/// unsupportedKey → weakKey → unsupportedAlgorithm → keyAlgorithmMismatch.
enum KeyPolicy {
    static let rsaBitsMin = 2048
    static let sm2DefaultID: [UInt8] = Array("1234567812345678".utf8)

    static func checkKey(_ keyType: KeyType) throws {
        switch keyType {
        case .rsa(let bits) where bits < rsaBitsMin:
            throw CryptoError(.weakKey, "RSA key of \(bits) bits; at least \(rsaBitsMin) required")
        case .rsa, .ecP256, .sm2:
            return
        case .other(let name):
            throw CryptoError(.unsupportedKey, "key type \(name) is not supported (RSA ≥ \(rsaBitsMin), EC P-256, SM2)")
        }
    }

    static func check(_ keyType: KeyType, _ algorithm: SignatureAlgorithm) throws {
        try checkKey(keyType)
        if case .rsaPKCS1v15(let digest) = algorithm, digest == .sm3 {
            throw CryptoError(.unsupportedAlgorithm, "RSA PKCS#1 v1.5 with SM3 is not supported")
        }
        switch (keyType, algorithm) {
        case (.rsa, .rsaPKCS1v15), (.ecP256, .ecdsaP256SHA256), (.sm2, .sm2SM3):
            return
        default:
            throw CryptoError(.keyAlgorithmMismatch, "\(keyType) key cannot be used with \(algorithm)")
        }
    }
}
