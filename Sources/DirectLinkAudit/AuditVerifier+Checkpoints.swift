import DirectLinkCrypto

extension AuditVerifier {
    /// Signatures and order first (each checkpoint on its own), then roots against the log, then consistency.
    static func checkCheckpoints(_ checkpoints: [Checkpoint], tree: MerkleTree, certificate: Certificate) throws {
        for (k, checkpoint) in checkpoints.enumerated() {
            guard checkpoint.isSigned(by: certificate) else {
                throw AuditError(.checkpointSignature, "the signature does not verify with the audit certificate (size \(checkpoint.treeSize))",
                                 checkpointIndex: k)
            }
            if k > 0 {
                let previous = checkpoints[k - 1]
                if previous.treeSize == checkpoint.treeSize, previous.rootHash != checkpoint.rootHash {
                    throw AuditError(.checkpointContradiction, "checkpoints \(k - 1) and \(k) both sign size \(checkpoint.treeSize) with different roots",
                                     checkpointIndex: k)
                }
                guard previous.treeSize <= checkpoint.treeSize, previous.timeMilliseconds <= checkpoint.timeMilliseconds else {
                    throw AuditError(.checkpointOrder, "size or time goes backwards after checkpoint \(k - 1)", checkpointIndex: k)
                }
            }
            guard checkpoint.treeSize <= tree.size else {
                throw AuditError(.checkpointBeyondLog, "it covers \(checkpoint.treeSize) records but the log holds \(tree.size): records \(tree.size)… are missing",
                                 recordIndex: tree.size, checkpointIndex: k)
            }
        }
        try checkRoots(checkpoints, tree: tree)
        for k in checkpoints.indices.dropFirst() {
            let (old, new) = (checkpoints[k - 1], checkpoints[k])
            let proof = tree.consistencyProof(from: old.treeSize, to: new.treeSize)
            guard MerkleProof.verifyConsistency(firstSize: old.treeSize, firstRoot: old.rootHash,
                                                secondSize: new.treeSize, secondRoot: new.rootHash, proof: proof) else {
                throw AuditError(.checkpointContradiction, "no consistency proof from checkpoint \(k - 1)", checkpointIndex: k)
            }
        }
    }

    /// The first checkpoint whose root the records do not reproduce is either forged over another history
    /// (when a later checkpoint matches the records: a contradiction) or proof that records it covers changed.
    private static func checkRoots(_ checkpoints: [Checkpoint], tree: MerkleTree) throws {
        let matches = checkpoints.map { tree.rootHash(size: $0.treeSize) == $0.rootHash }
        guard let k = matches.firstIndex(of: false) else { return }
        let checkpoint = checkpoints[k]
        let firstSuspect = k > 0 ? checkpoints[k - 1].treeSize : 0
        if let j = matches[(k + 1)...].firstIndex(of: true) {
            throw AuditError(.checkpointContradiction,
                             "checkpoint \(k) (size \(checkpoint.treeSize)) is not consistent with checkpoint \(j) (size \(checkpoints[j].treeSize)), which the records match: either \(k) is false or records \(firstSuspect)..<\(checkpoint.treeSize) were rewritten after it was signed",
                             recordIndex: firstSuspect, checkpointIndex: k, recordRangeEnd: checkpoint.treeSize)
        }
        throw AuditError(.checkpointRoot,
                         "the records do not reproduce its root (size \(checkpoint.treeSize)): a record in \(firstSuspect)..<\(checkpoint.treeSize) was changed, inserted or removed (the roots cannot say which; `--responses` names a changed response, inbound signatures a changed request)",
                         recordIndex: firstSuspect, checkpointIndex: k, recordRangeEnd: checkpoint.treeSize)
    }
}
