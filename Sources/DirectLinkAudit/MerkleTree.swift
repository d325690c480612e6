/// An append-only Merkle tree over leaf hashes (RFC 9162 §2.1) that keeps every complete, aligned subtree hash.
///
/// `levels[0]` holds the leaf hashes; `levels[k]` the hashes of the complete subtrees of 2^k leaves, the i-th starting
/// at leaf i·2^k. Each level is one flat byte array (32 bytes per hash) so a hash costs no allocation of its own.
/// Appending costs O(1) amortised hashes; any root, inclusion proof or consistency proof costs O(log n) lookups plus
/// O(log n) hashes for the incomplete right edge, because every left branch in the RFC's recursive decomposition is a
/// complete aligned subtree. Memory: about 64 bytes per leaf.
public struct MerkleTree: Sendable {
    private var levels: [[UInt8]] = [[]]
    private static let width = MerkleHash.bytes

    public init() {}

    public init(leafHashes: [[UInt8]]) {
        for hash in leafHashes { append(leafHash: hash) }
    }

    public var size: UInt64 { UInt64(levels[0].count / Self.width) }

    public func leafHash(at index: UInt64) -> [UInt8] {
        precondition(index < size, "leaf index checked by the caller")
        return hash(level: 0, index: Int(index))
    }

    private func hash(level: Int, index: Int) -> [UInt8] {
        Array(levels[level][index * Self.width..<(index + 1) * Self.width])
    }

    private func count(level: Int) -> Int { levels[level].count / Self.width }

    /// Adds one leaf hash; completes every subtree it closes.
    public mutating func append(leafHash: [UInt8]) {
        precondition(leafHash.count == MerkleHash.bytes, "leaf hashes are SHA-256")
        levels[0].append(contentsOf: leafHash)
        var level = 0
        var count = count(level: 0)
        while count % 2 == 0 {
            let parent = MerkleHash.node(hash(level: level, index: count - 2), hash(level: level, index: count - 1))
            if levels.count == level + 1 { levels.append([]) }
            levels[level + 1].append(contentsOf: parent)
            level += 1
            count = self.count(level: level)
        }
    }

    /// MTH(D[0:size]) for any size ≤ the current size.
    public func rootHash(size treeSize: UInt64) -> [UInt8] {
        precondition(treeSize <= size, "tree size checked by the caller")
        return treeSize == 0 ? MerkleHash.empty : subtreeHash(start: 0, count: treeSize)
    }

    public var rootHash: [UInt8] { rootHash(size: size) }

    /// MTH(D[start:start+count]) where the range is a node of some tree in RFC 9162's decomposition:
    /// the left part of every split is a complete aligned subtree, found in `levels`.
    func subtreeHash(start: UInt64, count: UInt64) -> [UInt8] {
        if count.nonzeroBitCount == 1, start % count == 0 {
            return hash(level: count.trailingZeroBitCount, index: Int(start / count))
        }
        let k = largestPowerOfTwoBelow(count)
        return MerkleHash.node(subtreeHash(start: start, count: k), subtreeHash(start: start + k, count: count - k))
    }

    /// PATH(m, D[0:treeSize]) of RFC 9162 §2.1.3.1, leaf-to-root order.
    public func inclusionProof(leafIndex: UInt64, treeSize: UInt64) -> [[UInt8]] {
        precondition(leafIndex < treeSize && treeSize <= size, "proof arguments checked by the caller")
        var proof: [[UInt8]] = []
        path(m: leafIndex, start: 0, count: treeSize, into: &proof)
        return proof
    }

    private func path(m: UInt64, start: UInt64, count: UInt64, into proof: inout [[UInt8]]) {
        guard count > 1 else { return }
        let k = largestPowerOfTwoBelow(count)
        if m < k {
            path(m: m, start: start, count: k, into: &proof)
            proof.append(subtreeHash(start: start + k, count: count - k))
        } else {
            path(m: m - k, start: start + k, count: count - k, into: &proof)
            proof.append(subtreeHash(start: start, count: k))
        }
    }

    /// PROOF(m, D[0:n]) of RFC 9162 §2.1.4.1 (consistency of the first m leaves with the first n).
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) -> [[UInt8]] {
        precondition(oldSize <= newSize && newSize <= size, "proof arguments checked by the caller")
        guard oldSize > 0, oldSize < newSize else { return [] }
        var proof: [[UInt8]] = []
        subproof(m: oldSize, start: 0, count: newSize, complete: true, into: &proof)
        return proof
    }

    private func subproof(m: UInt64, start: UInt64, count: UInt64, complete: Bool, into proof: inout [[UInt8]]) {
        if m == count {
            if !complete { proof.append(subtreeHash(start: start, count: count)) }
            return
        }
        let k = largestPowerOfTwoBelow(count)
        if m <= k {
            subproof(m: m, start: start, count: k, complete: complete, into: &proof)
            proof.append(subtreeHash(start: start + k, count: count - k))
        } else {
            subproof(m: m - k, start: start + k, count: count - k, complete: false, into: &proof)
            proof.append(subtreeHash(start: start, count: k))
        }
    }
}
