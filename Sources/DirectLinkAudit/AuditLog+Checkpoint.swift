import Foundation

/// The answer to AUD.PROOF: where a corporation's messages with one SerialNo sit in the tree, with an inclusion
/// proof for each against `checkpoint`.
public struct AuditInclusion: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let leafIndex: UInt64
        public let leafHash: [UInt8]
        public let proof: [[UInt8]]
    }

    public let checkpoint: Checkpoint
    public let entries: [Entry]
}

extension AuditLog {
    /// Signs and stores a checkpoint of the current tree (durable before it returns). Returns the newest checkpoint
    /// unchanged when nothing was appended since it.
    @discardableResult
    public func checkpoint() throws -> Checkpoint {
        try lock.withLock { try checkpointLocked(now: clock()) }
    }

    /// Signs a checkpoint when `checkpointIntervalRecords` records arrived since the last one, or when records
    /// arrived and the last one is older than `checkpointIntervalSeconds`. Call after each append and on a timer.
    @discardableResult
    public func checkpointIfDue() throws -> Checkpoint? {
        try lock.withLock {
            let now = clock()
            let covered = checkpoints.last?.treeSize ?? 0
            guard tree.size > covered else { return nil }
            let age = now.timeIntervalSince(checkpoints.last?.time ?? .distantPast)
            guard tree.size - covered >= UInt64(limits.checkpointIntervalRecords) || age >= limits.checkpointIntervalSeconds else {
                return nil
            }
            return try checkpointLocked(now: now)
        }
    }

    /// Signs a final checkpoint. Call on shutdown; the log may still be used afterwards.
    public func close() throws {
        _ = try checkpoint()
    }

    private func checkpointLocked(now: Date) throws -> Checkpoint {
        if let latest = checkpoints.last, latest.treeSize == tree.size { return latest }
        // Never let a checkpoint's time go backwards, even if the wall clock does.
        let time = max(now, checkpoints.last?.time ?? .distantPast)
        let checkpoint = try Checkpoint.sign(treeSize: tree.size, rootHash: tree.rootHash, time: time, key: signingKey)
        let before = checkpointFile.size
        do {
            try checkpointFile.write(checkpoint.stored)
            try checkpointFile.sync()
        } catch {
            try? checkpointFile.truncate(to: before)
            throw error
        }
        checkpoints.append(checkpoint)
        return checkpoint
    }

    /// Leaf indexes of every record (inbound and outbound) with this CorpId and SerialNo.
    public func leafIndexes(corpId: String, serialNo: String) -> [UInt64] {
        lock.withLock { bySerial[Self.serialKey(corpId, serialNo)] ?? [] }
    }

    /// AUD.PROOF: inclusion proofs for a corporation's SerialNo against the newest checkpoint. Records newer than
    /// that checkpoint are left out (ask again after the next one). Throws notFound when none is covered.
    public func inclusion(corpId: String, serialNo: String) throws -> AuditInclusion {
        try lock.withLock {
            guard let checkpoint = checkpoints.last else { throw AuditError(.notFound, "no checkpoint has been signed yet") }
            let indexes = (bySerial[Self.serialKey(corpId, serialNo)] ?? []).filter { $0 < checkpoint.treeSize }
            guard !indexes.isEmpty else { throw AuditError(.notFound, "no record for this CorpId and SerialNo is covered by a checkpoint yet") }
            let entries = indexes.map {
                AuditInclusion.Entry(leafIndex: $0, leafHash: tree.leafHash(at: $0),
                                     proof: tree.inclusionProof(leafIndex: $0, treeSize: checkpoint.treeSize))
            }
            return AuditInclusion(checkpoint: checkpoint, entries: entries)
        }
    }

    /// Consistency proof between two tree sizes (RFC 9162 §2.1.4), for a client holding an older checkpoint.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> [[UInt8]] {
        try lock.withLock {
            guard oldSize <= newSize, newSize <= tree.size else {
                throw AuditError(.proofInvalid, "sizes must satisfy old ≤ new ≤ \(tree.size)")
            }
            return tree.consistencyProof(from: oldSize, to: newSize)
        }
    }
}
