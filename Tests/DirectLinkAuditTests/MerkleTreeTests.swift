@testable import DirectLinkAudit
import Testing

/// RFC 9162 §2.1 checked against the textbook recursive definitions for every size 1…64.
struct MerkleTreeTests {
    static let leaves: [[UInt8]] = (0..<64).map { [UInt8(truncatingIfNeeded: $0), 0x5A, UInt8(truncatingIfNeeded: $0 * 7)] }
    static let tree = MerkleTree(leafHashes: leaves.map(MerkleHash.leaf))

    /// MTH straight from RFC 9162 §2.1.1.
    static func naiveRoot(_ d: ArraySlice<[UInt8]>) -> [UInt8] {
        if d.isEmpty { return MerkleHash.empty }
        if d.count == 1, let only = d.first { return MerkleHash.leaf(only) }
        let k = Int(largestPowerOfTwoBelow(UInt64(d.count)))
        return MerkleHash.node(naiveRoot(d.prefix(k)), naiveRoot(d.dropFirst(k)))
    }

    /// PATH(m, D[n]) from RFC 9162 §2.1.3.1.
    static func naivePath(_ m: Int, _ d: ArraySlice<[UInt8]>) -> [[UInt8]] {
        if d.count <= 1 { return [] }
        let k = Int(largestPowerOfTwoBelow(UInt64(d.count)))
        if m < k { return naivePath(m, d.prefix(k)) + [naiveRoot(d.dropFirst(k))] }
        return naivePath(m - k, d.dropFirst(k)) + [naiveRoot(d.prefix(k))]
    }

    /// SUBPROOF(m, D[n], b) from RFC 9162 §2.1.4.1.
    static func naiveSubproof(_ m: Int, _ d: ArraySlice<[UInt8]>, _ b: Bool) -> [[UInt8]] {
        if m == d.count { return b ? [] : [naiveRoot(d)] }
        let k = Int(largestPowerOfTwoBelow(UInt64(d.count)))
        if m <= k { return naiveSubproof(m, d.prefix(k), b) + [naiveRoot(d.dropFirst(k))] }
        return naiveSubproof(m - k, d.dropFirst(k), false) + [naiveRoot(d.prefix(k))]
    }

    @Test func emptyTreeRootIsHashOfNothing() {
        #expect(MerkleTree().rootHash == MerkleHash.sha256([]))
        #expect(hex(MerkleHash.empty) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func leafAndNodeHashesAreDomainSeparated() {
        let a = MerkleHash.leaf([1]), b = MerkleHash.leaf([2])
        #expect(MerkleHash.leaf(a + b) != MerkleHash.node(a, b))
        #expect(hex(MerkleHash.leaf([])) == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    }

    @Test(arguments: 1...64) func rootMatchesRecursiveDefinition(size: Int) {
        #expect(Self.tree.rootHash(size: UInt64(size)) == Self.naiveRoot(Self.leaves.prefix(size)))
    }

    @Test(arguments: 1...64) func inclusionProofsMatchAndVerifyForEveryLeaf(size: Int) {
        let root = Self.tree.rootHash(size: UInt64(size))
        for m in 0..<size {
            let proof = Self.tree.inclusionProof(leafIndex: UInt64(m), treeSize: UInt64(size))
            #expect(proof == Self.naivePath(m, Self.leaves.prefix(size)))
            let leaf = MerkleHash.leaf(Self.leaves[m])
            #expect(MerkleProof.verifyInclusion(leafHash: leaf, leafIndex: UInt64(m), treeSize: UInt64(size), proof: proof, rootHash: root))
            // The same proof must not vouch for another tree, position, or leaf.
            if size < 64 {
                let nextRoot = Self.tree.rootHash(size: UInt64(size + 1))
                #expect(!MerkleProof.verifyInclusion(leafHash: leaf, leafIndex: UInt64(m), treeSize: UInt64(size + 1), proof: proof, rootHash: nextRoot))
            }
            #expect(!MerkleProof.verifyInclusion(leafHash: MerkleHash.leaf([0xFF]), leafIndex: UInt64(m), treeSize: UInt64(size), proof: proof, rootHash: root))
            if size > 1 {
                let other = UInt64((m + 1) % size)
                #expect(!MerkleProof.verifyInclusion(leafHash: leaf, leafIndex: other, treeSize: UInt64(size), proof: proof, rootHash: root))
            }
        }
    }

    @Test(arguments: 1...64) func consistencyProofsMatchAndVerifyForEveryOlderSize(size: Int) {
        let newRoot = Self.tree.rootHash(size: UInt64(size))
        for m in 1...size {
            let proof = Self.tree.consistencyProof(from: UInt64(m), to: UInt64(size))
            #expect(proof == (m == size ? [] : Self.naiveSubproof(m, Self.leaves.prefix(size), true)))
            let oldRoot = Self.tree.rootHash(size: UInt64(m))
            #expect(MerkleProof.verifyConsistency(firstSize: UInt64(m), firstRoot: oldRoot, secondSize: UInt64(size), secondRoot: newRoot, proof: proof))
            if m < size {
                let wrong = MerkleHash.leaf([0xEE])
                #expect(!MerkleProof.verifyConsistency(firstSize: UInt64(m), firstRoot: wrong, secondSize: UInt64(size), secondRoot: newRoot, proof: proof))
                #expect(!MerkleProof.verifyConsistency(firstSize: UInt64(m), firstRoot: oldRoot, secondSize: UInt64(size), secondRoot: wrong, proof: proof))
                #expect(!MerkleProof.verifyConsistency(firstSize: UInt64(m), firstRoot: oldRoot, secondSize: UInt64(size), secondRoot: newRoot, proof: Array(proof.dropLast())))
            }
        }
    }

    @Test func incrementalAppendGivesTheSameRootsAsBulkBuild() {
        var incremental = MerkleTree()
        for (index, leaf) in Self.leaves.enumerated() {
            incremental.append(leafHash: MerkleHash.leaf(leaf))
            #expect(incremental.rootHash == Self.naiveRoot(Self.leaves.prefix(index + 1)))
        }
    }
}
