internal import COpenSSL

public enum DigestAlgorithm: String, Sendable, CaseIterable {
    case sha256, sha384, sha512, sm3

    /// Output length in bytes.
    public var outputBytes: Int { self == .sha384 ? 48 : (self == .sha512 ? 64 : 32) }

    /// The static OpenSSL method; these are process-wide constants that are never freed.
    var evpMD: OpaquePointer? {
        switch self {
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        case .sm3: EVP_sm3()
        }
    }
}

public enum Digest {
    /// One-shot digest of `bytes`.
    public static func compute(_ algorithm: DigestAlgorithm, _ bytes: [UInt8]) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try compute(algorithm, $0) }
    }

    /// One-shot digest of a raw buffer (avoids a copy when hashing a slice of a larger frame).
    public static func compute(_ algorithm: DigestAlgorithm, _ bytes: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard let md = algorithm.evpMD else { throw CryptoError.openSSL(.unsupportedAlgorithm, "\(algorithm) unavailable") }
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { buffer in
            EVP_Digest(bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), bytes.count, buffer.baseAddress, &length, md, nil)
        }
        guard ok == 1 else { throw CryptoError.openSSL(.internalError, "EVP_Digest(\(algorithm)) failed") }
        return Array(out.prefix(Int(length)))
    }
}
