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

/// Explicitly fetched implementations, fetched once: OpenSSL 3 otherwise looks the provider implementation up
/// again on every one-shot digest. Fetched methods are immutable and may be shared between threads.
private struct FetchedDigests: @unchecked Sendable {
    let sha256 = EVP_MD_fetch(nil, "SHA256", nil)
    let sha384 = EVP_MD_fetch(nil, "SHA384", nil)
    let sha512 = EVP_MD_fetch(nil, "SHA512", nil)
    let sm3 = EVP_MD_fetch(nil, "SM3", nil)
}

private let fetchedDigests = FetchedDigests()

extension DigestAlgorithm {
    var fetchedMD: OpaquePointer? {
        switch self {
        case .sha256: fetchedDigests.sha256 ?? evpMD
        case .sha384: fetchedDigests.sha384 ?? evpMD
        case .sha512: fetchedDigests.sha512 ?? evpMD
        case .sm3: fetchedDigests.sm3 ?? evpMD
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
        guard let md = algorithm.fetchedMD else { throw CryptoError.openSSL(.unsupportedAlgorithm, "\(algorithm) unavailable") }
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { buffer in
            EVP_Digest(bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), bytes.count, buffer.baseAddress, &length, md, nil)
        }
        guard ok == 1 else { throw CryptoError.openSSL(.internalError, "EVP_Digest(\(algorithm)) failed") }
        return Array(out.prefix(Int(length)))
    }
}

public enum MessageAuthentication {
    /// HMAC-SHA256 of `data` under `key` (32 bytes).
    public static func hmacSHA256(key: [UInt8], _ data: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { keyBytes in
            out.withUnsafeMutableBufferPointer { buffer in
                HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count), data.baseAddress?.assumingMemoryBound(to: UInt8.self),
                     data.count, buffer.baseAddress, &length)
            }
        }
        // HMAC-SHA256 over memory fails only if OpenSSL cannot allocate: a broken process, not something input causes.
        precondition(result != nil && length == 32, "HMAC-SHA256 unavailable")
        return out
    }

    /// Compares two MACs in time independent of where they differ.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }
}
