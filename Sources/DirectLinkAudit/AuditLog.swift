import DirectLinkCrypto
import Foundation

/// The append-only audit log: segment files of records, a Merkle tree over them, and signed checkpoints.
///
/// `append` writes a whole group of records with one write and one fdatasync and returns their leaf indexes only
/// afterwards, so a caller that releases a response after `append` returns never releases one whose record is
/// not durable. Each group ends with a seal, a MAC under a key derived from the audit key. Opening recovers a torn
/// tail (a partial last write) by truncating it, and cuts records past the newest checkpoint that no valid seal
/// covers (never acknowledged, or not written by this log), reporting both in `recovery`; it refuses to open a log
/// whose newest checkpoint covers records that are missing or changed, or whose seals were changed.
///
/// `@unchecked Sendable`: every mutable field is read and written only while holding `lock`.
public final class AuditLog: @unchecked Sendable {
    public struct Recovery: Sendable, Equatable {
        /// Bytes cut from the newest segment (0 when it ended cleanly), and why.
        public var segmentBytesDropped = 0
        public var segmentReason: String?
        public var checkpointBytesDropped = 0
    }

    public let directory: URL
    public let limits: AuditLimits
    public let recovery: Recovery
    let signingKey: PrivateKey
    /// Authenticates each group's seal (`Segment`); derived from the audit key, never stored.
    let sealKey: [UInt8]
    /// The MAC of the newest seal (32 zero bytes before the first): each seal's MAC covers it, so a group fits only
    /// after the seal it was chained to — not a group sealed with the same key in a log with another sealed history
    /// (a restored copy still shares this one's history up to where they part).
    var lastSealMAC = Segment.noSealMAC
    let certificate: Certificate
    let clock: @Sendable () -> Date
    let lock = NSLock()
    let directoryLock: DirectoryLock
    var tree = MerkleTree()
    var segment: AppendFile
    var segmentName: SegmentName
    /// The UTC day (days since 1970) of the last append and its yyyyMMdd name: formatting a date costs more than the
    /// rest of a small append, and the name changes once a day.
    var lastDay: (number: Int, name: String)?
    let checkpointFile: AppendFile
    var checkpoints: [Checkpoint]
    var bySerial: [String: [RecordLocation]] = [:]
    var failed: AuditError?

    public static let certificateFileName = "audit-certificate.pem"

    /// Opens (creating if needed) the log in `directory`. The certificate is stored beside the log on first open
    /// and must match on every later one. `clock` is injectable for tests of date rotation.
    public init(directory: URL, key: PrivateKey, certificate: Certificate, limits: AuditLimits = .default,
                clock: @escaping @Sendable () -> Date = { Date() }) throws {
        try limits.validate()
        guard key.keyType == .ecP256, certificate.keyType == .ecP256 else {
            throw AuditError(.keyRejected, "the audit key and certificate must be EC P-256")
        }
        self.directory = directory
        self.limits = limits
        self.signingKey = key
        do {
            self.sealKey = try key.derivedSecret(label: Segment.sealKeyLabel)
        } catch {
            throw AuditError(.keyRejected, "the audit key cannot derive the seal key: \(error)")
        }
        self.certificate = certificate
        self.clock = clock
        try Self.prepare(directory: directory, certificate: certificate)
        directoryLock = try DirectoryLock(directory: directory)
        var recovery = Recovery()
        let checkpointPath = directory.appendingPathComponent(CheckpointFile.fileName).path
        checkpointFile = try AppendFile(path: checkpointPath)
        let stored = try CheckpointFile.read(try AppendFile.read(checkpointPath))
        // The newest checkpoint decides which records need no seal: a forged one would let unsealed records in.
        if let latest = stored.checkpoints.last, !latest.isSigned(by: certificate) {
            throw AuditError(.checkpointSignature, "the newest checkpoint is not signed by this log's audit key; nothing was cut",
                             checkpointIndex: stored.checkpoints.count - 1)
        }
        if let torn = stored.tornOffset {
            recovery.checkpointBytesDropped = checkpointFile.size - torn
            try checkpointFile.truncate(to: torn)
        }
        checkpoints = stored.checkpoints
        let opened = try Self.openSegments(directory: directory, limits: limits, now: clock(),
                                           protectedRecords: checkpoints.last?.treeSize ?? 0, sealKey: sealKey, recovery: &recovery)
        tree = opened.tree
        bySerial = opened.bySerial
        segment = opened.file
        segmentName = opened.name
        lastSealMAC = opened.lastSealMAC
        self.recovery = recovery
        if let latest = checkpoints.last {
            guard latest.treeSize <= tree.size else {
                throw AuditError(.checkpointBeyondLog, "the newest checkpoint covers \(latest.treeSize) records but the log holds \(tree.size)",
                                 recordIndex: tree.size, checkpointIndex: checkpoints.count - 1)
            }
            guard tree.rootHash(size: latest.treeSize) == latest.rootHash else {
                throw AuditError(.checkpointRoot, "the records do not match the newest checkpoint", checkpointIndex: checkpoints.count - 1)
            }
        }
    }

    private static func prepare(directory: URL, certificate: Certificate) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw AuditError(.io, "cannot create \(directory.path): \(error.localizedDescription)")
        }
        let path = directory.appendingPathComponent(certificateFileName).path
        if FileManager.default.fileExists(atPath: path) {
            let existing = try Certificate(pem: try AppendFile.read(path))
            guard existing == certificate else {
                throw AuditError(.keyRejected, "\(certificateFileName) holds another certificate; audit key rotation is not supported")
            }
        } else {
            let file = try AppendFile(path: path)
            try file.write(Array(certificate.pemString.utf8))
            try file.sync()
            try AppendFile.syncDirectory(directory.path)
        }
    }

    /// Number of records in the log.
    public var size: UInt64 { lock.withLock { tree.size } }

    /// The newest signed checkpoint, if any.
    public var latestCheckpoint: Checkpoint? { lock.withLock { checkpoints.last } }

    /// Appends `records` as one group: one write, one fdatasync. Returns their leaf indexes, in order, once durable.
    /// On a write failure the segment is cut back to where it was and the error is thrown; after a failed fdatasync,
    /// or if cutting back fails, the log refuses every later append (reopen it to recover).
    public func append(_ records: [AuditRecord]) throws -> [UInt64] {
        guard !records.isEmpty else { return [] }
        guard records.count <= limits.groupRecordsMax else {
            throw AuditError(.limitExceeded, "\(records.count) records in one append; groupRecordsMax is \(limits.groupRecordsMax)")
        }
        for record in records { try record.check(limits) }
        return try lock.withLock {
            if let failed { throw failed }
            try rotateIfNeeded(now: clock())
            var buffer = ByteWriter(capacity: records.reduce(Segment.sealBytes) { $0 + $1.encodedBytesEstimate + Segment.frameOverheadBytes })
            var hashes: [[UInt8]] = []
            var bodies: [(offset: Int, bytes: Int)] = []
            let sizeBefore = segment.size
            for (offset, record) in records.enumerated() {
                let index = tree.size + UInt64(offset)
                let frameStart = buffer.buffer.count
                hashes.append(Segment.appendFrame(to: &buffer) { record.encode(leafIndex: index, into: &$0) })
                bodies.append((sizeBefore + frameStart + 8, buffer.buffer.count - frameStart - Segment.frameOverheadBytes))
            }
            // In the same write: a group is acknowledged only with its seal, and open cuts records without one.
            let sealMAC = Segment.appendSeal(to: &buffer, firstIndex: tree.size, previousMAC: lastSealMAC, hashes: hashes, key: sealKey)
            do {
                try segment.write(buffer.buffer)
            } catch let error as AuditError {
                do { try segment.truncate(to: sizeBefore) } catch { failed = error as? AuditError }
                throw error
            }
            do {
                try segment.sync()
            } catch let error as AuditError {
                // After a failed fdatasync the kernel may have dropped the dirty pages and a retry could "succeed"
                // without writing them: never trust this descriptor again (reopen rescans the files).
                try? segment.truncate(to: sizeBefore)
                failed = error
                throw error
            }
            lastSealMAC = sealMAC
            let first = tree.size
            for (offset, hash) in hashes.enumerated() {
                tree.append(leafHash: hash)
                let location = RecordLocation(leafIndex: first + UInt64(offset), segment: segmentName,
                                              bodyOffset: bodies[offset].offset, bodyBytes: bodies[offset].bytes)
                bySerial[Self.serialKey(records[offset].corpId, records[offset].serialNo), default: []].append(location)
            }
            return (0..<UInt64(records.count)).map { first + $0 }
        }
    }

    static func serialKey(_ corpId: String, _ serialNo: String) -> String { corpId + "\u{0}" + serialNo }
}
