import DirectLinkCrypto
import DirectLinkMessage
import Foundation

extension AuditExport {
    public struct BundleSummary: Sendable, Equatable {
        public var entries = 0
        public var treeSize: UInt64 = 0
        public var inboundSignaturesChecked = 0
        /// SHA-256 of the bundled audit certificate: compare it with the one the bank publishes.
        public var auditCertificateFingerprint = ""
    }

    /// Checks a bundle with nothing but its own files (and `trust`, when given, for the audit certificate's chain
    /// and the inbound messages' signatures). Order: certificate → checkpoint signature → manifest against the
    /// checkpoint → per entry: record file, every metadata field of the entry against the record (and its time
    /// against the bundle's range), message bytes, leaf hash, inclusion proof, message signature.
    public static func verify(bundle: URL, trust: TrustStore?, auditCertificateFingerprint: String? = nil) throws -> BundleSummary {
        let certificate: Certificate
        do {
            certificate = try Certificate(pem: try AppendFile.read(bundle.appendingPathComponent(Self.certificate).path))
        } catch {
            throw AuditError(.bundleMalformed, "\(Self.certificate): \(error)")
        }
        let checkpoint = try Checkpoint.parse(signedText: try AppendFile.read(bundle.appendingPathComponent(checkpointText).path),
                                              signature: try AppendFile.read(bundle.appendingPathComponent(checkpointSignature).path))
        let pinned = auditCertificateFingerprint?.lowercased().replacingOccurrences(of: ":", with: "")
        try AuditVerifier.checkAuditCertificate(certificate, trust: trust, pinned: pinned, at: checkpoint.time)
        guard checkpoint.isSigned(by: certificate) else {
            throw AuditError(.checkpointSignature, "\(checkpointText) is not signed by \(Self.certificate)")
        }
        let manifest: ExportManifest
        do {
            manifest = try JSONDecoder().decode(ExportManifest.self, from: Data(try AppendFile.read(bundle.appendingPathComponent(Self.manifest).path)))
        } catch {
            throw AuditError(.bundleMalformed, "\(Self.manifest): \(error)")
        }
        guard manifest.format == ExportManifest.currentFormat, manifest.treeSize == checkpoint.treeSize,
              manifest.rootHash == Data(checkpoint.rootHash).base64EncodedString() else {
            throw AuditError(.bundleMalformed, "\(Self.manifest) does not describe the signed checkpoint")
        }
        let range = try timeRange(manifest)
        let verifier = trust.map { MessageVerifier(trust: $0, schema: nil) }
        var summary = BundleSummary(entries: manifest.entries.count, treeSize: checkpoint.treeSize,
                                    auditCertificateFingerprint: certificate.fingerprintSHA256)
        for (position, entry) in manifest.entries.enumerated() {
            let record = try checkEntry(entry, position: position, bundle: bundle, manifest: manifest, range: range, checkpoint: checkpoint)
            if let verifier, record.direction == .inbound, record.verdict == .verified {
                try AuditVerifier.checkMessage(record, index: entry.leafIndex, verifier: verifier)
                summary.inboundSignaturesChecked += 1
            }
        }
        return summary
    }

    private static func checkEntry(_ entry: ExportManifest.Entry, position: Int, bundle: URL, manifest: ExportManifest,
                                   range: Range<Date>, checkpoint: Checkpoint) throws -> AuditRecord {
        let index = entry.leafIndex
        let encoded = try AppendFile.read(try inside(bundle, entry.record).path)
        let decoded: (leafIndex: UInt64, record: AuditRecord)
        do { decoded = try AuditRecord.decode(encoded[...]) } catch let error as AuditError {
            throw AuditError(error.code, "\(entry.record): \(error.reason)", recordIndex: index)
        }
        try checkMetadata(entry, position: position, against: decoded, manifest: manifest, range: range)
        guard try AppendFile.read(try inside(bundle, entry.message).path) == decoded.record.bytes else {
            throw AuditError(.bundleMalformed, "\(entry.message) differs from the message inside \(entry.record)", recordIndex: index)
        }
        let leafHash = MerkleHash.leaf(encoded)
        guard hex(leafHash) == entry.leafHash else {
            throw AuditError(.recordChecksum, "\(entry.record) does not hash to the leaf hash in \(Self.manifest)", recordIndex: index)
        }
        let proof = try entry.inclusionProof.map { hash in
            guard let bytes = unhex(hash), bytes.count == MerkleHash.bytes else {
                throw AuditError(.bundleMalformed, "inclusion proof holds a malformed hash", recordIndex: index)
            }
            return bytes
        }
        guard MerkleProof.verifyInclusion(leafHash: leafHash, leafIndex: index, treeSize: checkpoint.treeSize, proof: proof,
                                          rootHash: checkpoint.rootHash) else {
            throw AuditError(.proofInvalid, "the inclusion proof does not lead to the checkpoint's root", recordIndex: index)
        }
        return decoded.record
    }

    /// Every metadata field the manifest gives for an entry must be what the signed record holds: an auditor reads
    /// `proofs.json`, and only the record is covered by the proof. Fields in manifest order; the first that differs
    /// is named with the entry's position. Then the record's time must lie in the bundle's `from..<to`.
    private static func checkMetadata(_ entry: ExportManifest.Entry, position: Int, against decoded: (leafIndex: UInt64, record: AuditRecord),
                                      manifest: ExportManifest, range: Range<Date>) throws {
        let record = decoded.record
        var fields: [(name: String, manifest: String, record: String)] = [
            ("leafIndex", String(entry.leafIndex), String(decoded.leafIndex)),
            ("direction", entry.direction, record.direction == .inbound ? "in" : "out"),
            ("corpId", entry.corpId, record.corpId),
            ("serialNo", entry.serialNo, record.serialNo),
            ("txCode", entry.txCode, record.txCode),
            ("verdict", entry.verdict, record.verdict.rawValue),
            ("retCode", entry.retCode, record.retCode),
            ("receivedAt", entry.receivedAt, iso(record.receivedAt)),
        ]
        // Absent in bundles written before they were added; checked whenever given.
        if let connectionId = entry.connectionId { fields.append(("connectionId", String(connectionId), String(record.connectionId))) }
        if let fingerprint = entry.peerFingerprint { fields.append(("peerFingerprint", fingerprint, record.peerFingerprint)) }
        if let correlationId = entry.correlationId { fields.append(("correlationId", correlationId, record.correlationId)) }
        for field in fields where field.manifest != field.record {
            throw AuditError(.bundleMalformed, "\(Self.manifest) entry \(position) field \(field.name) is \(quoted(field.manifest)) but \(entry.record) holds \(quoted(field.record))",
                             recordIndex: decoded.leafIndex)
        }
        guard record.corpId == manifest.corpId else {
            throw AuditError(.bundleMalformed, "\(Self.manifest) entry \(position) field corpId is \(quoted(record.corpId)), not the bundle's \(quoted(manifest.corpId))",
                             recordIndex: decoded.leafIndex)
        }
        guard range.contains(record.receivedAt) else {
            throw AuditError(.bundleMalformed, "\(Self.manifest) entry \(position) field receivedAt \(entry.receivedAt) is outside the bundle's from..<to (\(manifest.from) ..< \(manifest.to))",
                             recordIndex: decoded.leafIndex)
        }
    }

    /// The bundle's `from..<to` as `export` selected with it (it selects with the times its manifest strings denote);
    /// empty when `to` is before `from`.
    private static func timeRange(_ manifest: ExportManifest) throws -> Range<Date> {
        guard let from = parseISO(manifest.from), let to = parseISO(manifest.to) else {
            throw AuditError(.bundleMalformed, "\(Self.manifest): from \(quoted(manifest.from)) or to \(quoted(manifest.to)) is not an ISO 8601 time")
        }
        return from..<max(from, to)
    }

    private static func quoted(_ text: String) -> String { "\"" + text.prefix(80) + (text.count > 80 ? "…" : "") + "\"" }

    /// Resolves a manifest path, refusing anything that leaves the bundle.
    private static func inside(_ bundle: URL, _ relative: String) throws -> URL {
        guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
            throw AuditError(.bundleMalformed, "path \(relative) leaves the bundle")
        }
        return bundle.appendingPathComponent(relative)
    }
}
