import DirectLinkCrypto

/// RFC 9162 §2.1.1 hashing with SHA-256 and domain separation: a leaf can never be mistaken for an interior node.
///
/// - leaf hash = SHA-256(0x00 ‖ leaf bytes)
/// - node hash = SHA-256(0x01 ‖ left ‖ right)
/// - the hash of the empty tree = SHA-256("")
public enum MerkleHash {
    public static let bytes = 32

    public static func leaf(_ data: [UInt8]) -> [UInt8] {
        var input = [UInt8]()
        input.reserveCapacity(data.count + 1)
        input.append(0x00)
        input.append(contentsOf: data)
        return sha256(input)
    }

    public static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var input = [UInt8]()
        input.reserveCapacity(1 + left.count + right.count)
        input.append(0x01)
        input.append(contentsOf: left)
        input.append(contentsOf: right)
        return sha256(input)
    }

    public static var empty: [UInt8] { sha256([]) }

    static func sha256(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBytes { sha256($0) }
    }

    static func sha256(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        // SHA-256 of an in-memory buffer fails only if OpenSSL cannot allocate a context: a broken process,
        // not something input can cause.
        guard let digest = try? Digest.compute(.sha256, input) else {
            preconditionFailure("SHA-256 unavailable")
        }
        return digest
    }
}

/// The largest power of two strictly less than `n` (RFC 9162's k for n > 1).
@inline(__always)
func largestPowerOfTwoBelow(_ n: UInt64) -> UInt64 {
    precondition(n > 1, "split point exists only for n > 1; callers check")
    return UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
}
