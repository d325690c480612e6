/// Proof verification exactly as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).
/// Both return false rather than throw: a bad proof is an answer, not an operating error.
public enum MerkleProof {
    /// True when `proof` shows that the leaf with hash `leafHash` sits at `leafIndex` in the tree of
    /// `treeSize` leaves whose root is `rootHash`.
    public static func verifyInclusion(leafHash: [UInt8], leafIndex: UInt64, treeSize: UInt64,
                                       proof: [[UInt8]], rootHash: [UInt8]) -> Bool {
        guard leafIndex < treeSize else { return false }
        var fn = leafIndex
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == rootHash
    }

    /// True when `proof` shows that the tree (`firstSize`, `firstRoot`) is a prefix of (`secondSize`, `secondRoot`).
    public static func verifyConsistency(firstSize: UInt64, firstRoot: [UInt8], secondSize: UInt64,
                                         secondRoot: [UInt8], proof: [[UInt8]]) -> Bool {
        guard firstSize <= secondSize else { return false }
        if firstSize == secondSize { return proof.isEmpty && firstRoot == secondRoot }
        if firstSize == 0 { return proof.isEmpty && firstRoot == MerkleHash.empty }
        guard !proof.isEmpty else { return false }
        var path = proof
        if firstSize.nonzeroBitCount == 1 { path.insert(firstRoot, at: 0) }
        var fn = firstSize - 1
        var sn = secondSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == firstRoot && sr == secondRoot && sn == 0
    }
}
