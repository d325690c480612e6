import DirectLinkCrypto
import Foundation

/// Read-only access to a log directory, for verification, export and proofs. Never writes or truncates.
public enum AuditLogReader {
    public struct Contents: Sendable {
        public var tree = MerkleTree()
        public var checkpoints: [Checkpoint] = []
        /// A torn tail in the newest segment: the leaf index where it starts and why. `AuditLog` would cut it.
        public var tornTail: (recordIndex: UInt64, reason: String)?
        public var checkpointTornBytes = 0
    }

    /// Scans every segment in order, calling `visit` with each record (decoded) and its leaf hash, then reads the
    /// checkpoints. Throws the first structural error (missing segment, framing, checksum, index, encoding).
    public static func read(directory: URL, limits: AuditLimits = .default,
                            visit: (UInt64, AuditRecord, [UInt8]) throws -> Void = { _, _, _ in }) throws -> Contents {
        var contents = Contents()
        let names = try SegmentName.list(in: directory)
        for (position, name) in names.enumerated() {
            let data = try AppendFile.read(directory.appendingPathComponent(name.fileName).path)
            let scan = try SegmentScanner.scan(data, name: name, firstIndex: contents.tree.size,
                                               isNewest: position == names.count - 1, limits: limits)
            for frame in scan.frames {
                let record: AuditRecord
                do {
                    record = try AuditRecord.decode(data[frame.bodyStart..<frame.bodyEnd]).record
                } catch let error as AuditError {
                    throw AuditError(error.code, "\(name.fileName): \(error.reason)", recordIndex: frame.leafIndex)
                }
                contents.tree.append(leafHash: frame.leafHash)
                try visit(frame.leafIndex, record, frame.leafHash)
            }
            if let torn = scan.tornTail {
                contents.tornTail = (contents.tree.size, "\(name.fileName) offset \(torn.offset): \(torn.reason)")
            }
        }
        let checkpointPath = directory.appendingPathComponent(CheckpointFile.fileName).path
        if FileManager.default.fileExists(atPath: checkpointPath) {
            let bytes = try AppendFile.read(checkpointPath)
            let stored = try CheckpointFile.read(bytes)
            contents.checkpoints = stored.checkpoints
            contents.checkpointTornBytes = stored.tornOffset.map { bytes.count - $0 } ?? 0
        }
        return contents
    }

    /// The audit certificate stored beside the log.
    public static func certificate(directory: URL) throws -> Certificate {
        let path = directory.appendingPathComponent(AuditLog.certificateFileName).path
        do {
            return try Certificate(pem: try AppendFile.read(path))
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(.keyRejected, "\(AuditLog.certificateFileName): \(error)")
        }
    }
}
