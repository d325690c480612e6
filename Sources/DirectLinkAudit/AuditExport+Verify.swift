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
    /// checkpoint → per entry: record file, message bytes, leaf hash, inclusion proof, message signature.
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
        let verifier = trust.map { MessageVerifier(trust: $0, schema: nil) }
        var summary = BundleSummary(entries: manifest.entries.count, treeSize: checkpoint.treeSize,
                                    auditCertificateFingerprint: certificate.fingerprintSHA256)
        for entry in manifest.entries {
            let record = try checkEntry(entry, bundle: bundle, corpId: manifest.corpId, checkpoint: checkpoint)
            if let verifier, record.direction == .inbound, record.verdict == .verified {
                try AuditVerifier.checkMessage(record, index: entry.leafIndex, verifier: verifier)
                summary.inboundSignaturesChecked += 1
            }
        }
        return summary
    }

    private static func checkEntry(_ entry: ExportManifest.Entry, bundle: URL, corpId: String, checkpoint: Checkpoint) throws -> AuditRecord {
        let index = entry.leafIndex
        let encoded = try AppendFile.read(try inside(bundle, entry.record).path)
        let decoded: (leafIndex: UInt64, record: AuditRecord)
        do { decoded = try AuditRecord.decode(encoded[...]) } catch let error as AuditError {
            throw AuditError(error.code, "\(entry.record): \(error.reason)", recordIndex: index)
        }
        guard decoded.leafIndex == index, decoded.record.corpId == corpId, decoded.record.serialNo == entry.serialNo else {
            throw AuditError(.bundleMalformed, "\(entry.record) does not hold the record \(Self.manifest) describes", recordIndex: index)
        }
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

    /// Resolves a manifest path, refusing anything that leaves the bundle.
    private static func inside(_ bundle: URL, _ relative: String) throws -> URL {
        guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
            throw AuditError(.bundleMalformed, "path \(relative) leaves the bundle")
        }
        return bundle.appendingPathComponent(relative)
    }
}
