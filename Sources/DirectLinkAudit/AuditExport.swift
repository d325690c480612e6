import Foundation

/// Writes and checks self-contained export bundles for one corporation (see docs/audit.md for the layout).
public enum AuditExport {
    public static let checkpointText = "checkpoint.txt"
    public static let checkpointSignature = "checkpoint.sig"
    public static let certificate = "bank-audit.pem"
    public static let manifest = "proofs.json"

    /// Exports every record of `corpId` received in `from..<to` and covered by the newest checkpoint.
    /// `output` must not exist yet. Returns the manifest written.
    @discardableResult
    public static func export(directory: URL, corpId: String, from: Date, to: Date, output: URL,
                              limits: AuditLimits = .default) throws -> ExportManifest {
        guard !FileManager.default.fileExists(atPath: output.path) else {
            throw AuditError(.io, "\(output.path) already exists; choose a new folder")
        }
        // Select with the times the manifest will state, so verify-export can check each record against them exactly.
        let (from, to) = (parseISO(iso(from)) ?? from, parseISO(iso(to)) ?? to)
        let certificate = try AuditLogReader.certificate(directory: directory)
        var selected: [(UInt64, AuditRecord)] = []
        let contents = try AuditLogReader.read(directory: directory, limits: limits) { index, record, _ in
            let time = record.receivedAt
            if record.corpId == corpId, time >= from, time < to { selected.append((index, record)) }
        }
        guard let checkpoint = contents.checkpoints.last else { throw AuditError(.notFound, "the log has no checkpoint yet") }
        guard checkpoint.isSigned(by: certificate), contents.tree.rootHash(size: checkpoint.treeSize) == checkpoint.rootHash else {
            throw AuditError(.checkpointRoot, "the newest checkpoint does not match the log; run `directlink audit verify` first")
        }
        let covered = selected.filter { $0.0 < checkpoint.treeSize }
        try createFolders(output)
        var entries: [ExportManifest.Entry] = []
        for (index, record) in covered {
            let entry = try write(record, index: index, to: output, tree: contents.tree, treeSize: checkpoint.treeSize)
            entries.append(entry)
        }
        let manifest = ExportManifest(corpId: corpId, from: iso(from), to: iso(to), treeSize: checkpoint.treeSize,
                                      rootHash: Data(checkpoint.rootHash).base64EncodedString(),
                                      recordsNotYetCheckpointed: selected.count - covered.count, entries: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try save(try encoder.encode(manifest), output.appendingPathComponent(Self.manifest))
        try save(Data(checkpoint.signedText), output.appendingPathComponent(checkpointText))
        try save(Data(checkpoint.signature), output.appendingPathComponent(checkpointSignature))
        try save(Data(certificate.pemString.utf8), output.appendingPathComponent(Self.certificate))
        return manifest
    }


    private static func write(_ record: AuditRecord, index: UInt64, to output: URL, tree: MerkleTree,
                              treeSize: UInt64) throws -> ExportManifest.Entry {
        let direction = record.direction == .inbound ? "in" : "out"
        let safeSerial = String(record.serialNo.unicodeScalars.map { scalar -> Character in
            CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII ? Character(scalar) : "_"
        }.prefix(64))
        let isXML = MessageKind.isXML(record.bytes)
        let base = String(format: "%012llu", index) + "-" + direction + "-" + safeSerial
        let recordPath = "records/\(base).bin"
        let messagePath = "messages/\(base).\(isXML ? "xml" : "p7b")"
        try save(Data(record.encode(leafIndex: index)), output.appendingPathComponent(recordPath))
        try save(Data(record.bytes), output.appendingPathComponent(messagePath))
        return ExportManifest.Entry(
            leafIndex: index, direction: direction, corpId: record.corpId, serialNo: record.serialNo, txCode: record.txCode,
            verdict: record.verdict.rawValue, retCode: record.retCode, receivedAt: iso(record.receivedAt),
            connectionId: record.connectionId, peerFingerprint: record.peerFingerprint, correlationId: record.correlationId, record: recordPath,
            message: messagePath, leafHash: hex(tree.leafHash(at: index)),
            inclusionProof: tree.inclusionProof(leafIndex: index, treeSize: treeSize).map(hex))
    }

    static func createFolders(_ output: URL) throws {
        do {
            for folder in ["messages", "records"] {
                try FileManager.default.createDirectory(at: output.appendingPathComponent(folder), withIntermediateDirectories: true)
            }
        } catch {
            throw AuditError(.io, "cannot create \(output.path): \(error.localizedDescription)")
        }
    }

    static func save(_ data: Data, _ url: URL) throws {
        do {
            try data.write(to: url, options: .withoutOverwriting)
        } catch {
            throw AuditError(.io, "cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    static func iso(_ date: Date) -> String { isoFormatter().string(from: date) }

    static func parseISO(_ text: String) -> Date? { isoFormatter().date(from: text) }

    private static func isoFormatter() -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }
}

enum MessageKind {
    /// XML starts with "<" after an optional BOM and white space; anything else is kept as the CMS binding.
    static func isXML(_ bytes: [UInt8]) -> Bool {
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        return index < bytes.count && bytes[index] == UInt8(ascii: "<")
    }
}
