import Foundation

/// The answer to AUD.PROOF: where a corporation's messages with one SerialNo sit in the tree, with an inclusion
/// proof for each against `checkpoint`.
public struct AuditInclusion: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let leafIndex: UInt64
        public let leafHash: [UInt8]
        /// The canonical record (leaf input): the client checks that its message is the last field and that
        /// SHA-256(0x00 ‖ record) is `leafHash`.
        public let record: [UInt8]
        public let proof: [[UInt8]]
    }

    public let checkpoint: Checkpoint
    public let entries: [Entry]
}

/// Where one record's body lies, kept per (CorpId, SerialNo) so AUD.PROOF can return the record itself.
struct RecordLocation: Sendable {
    let leafIndex: UInt64
    let segment: SegmentName
    let bodyOffset: Int
    let bodyBytes: Int
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

    /// Signs a final checkpoint and cuts the newest segment's reserved zeros. Call on shutdown; the log may still
    /// be used afterwards.
    public func close() throws {
        _ = try checkpoint()
        try lock.withLock { try segment.trimReserve() }
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
        lock.withLock { (bySerial[Self.serialKey(corpId, serialNo)] ?? []).map(\.leafIndex) }
    }

    /// AUD.PROOF: inclusion proofs for a corporation's SerialNo against the newest checkpoint. Records newer than
    /// that checkpoint are left out (ask again after the next one). Throws notFound when none is covered.
    public func inclusion(corpId: String, serialNo: String) throws -> AuditInclusion {
        try lock.withLock {
            guard let checkpoint = checkpoints.last else { throw AuditError(.notFound, "no checkpoint has been signed yet") }
            let locations = (bySerial[Self.serialKey(corpId, serialNo)] ?? []).filter { $0.leafIndex < checkpoint.treeSize }
            guard !locations.isEmpty else { throw AuditError(.notFound, "no record for this CorpId and SerialNo is covered by a checkpoint yet") }
            let entries = try locations.map { location in
                let record = try readBody(location)
                let leafHash = tree.leafHash(at: location.leafIndex)
                // Checked when written, checked again when read: the file must still hold what the tree says.
                guard MerkleHash.leaf(record) == leafHash else {
                    throw AuditError(.recordChecksum, "\(location.segment.fileName) no longer holds the record the tree was built from",
                                     recordIndex: location.leafIndex)
                }
                return AuditInclusion.Entry(leafIndex: location.leafIndex, leafHash: leafHash, record: record,
                                            proof: tree.inclusionProof(leafIndex: location.leafIndex, treeSize: checkpoint.treeSize))
            }
            return AuditInclusion(checkpoint: checkpoint, entries: entries)
        }
    }

    private func readBody(_ location: RecordLocation) throws -> [UInt8] {
        let path = directory.appendingPathComponent(location.segment.fileName).path
        guard let handle = FileHandle(forReadingAtPath: path) else { throw AuditError(.io, "cannot open \(path)") }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(location.bodyOffset))
            let data = try handle.read(upToCount: location.bodyBytes) ?? Data()
            guard data.count == location.bodyBytes else { throw AuditError(.io, "\(path) is shorter than the log's index says") }
            return [UInt8](data)
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(.io, "cannot read \(path): \(error.localizedDescription)")
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
