import DirectLinkCrypto
import DirectLinkMessage
import Foundation

/// `directlink audit verify`: re-derives everything from the files and stops at the first thing that does not hold.
///
/// Order: segments and records in leaf order (framing, checksum, index, encoding, then the XML signature of each
/// verified inbound message) → torn tail → the audit certificate's chain (against `trust`, when given, at the newest
/// checkpoint's time: the key signed then, and may have expired since) → every checkpoint's signature and order →
/// each checkpoint's root against the records → consistency proofs between consecutive checkpoints → every record
/// covered by the newest checkpoint (unless `allowUncovered`).
public struct AuditVerifier: Sendable {
    public struct Summary: Sendable, Equatable {
        public var records: UInt64 = 0
        public var checkpoints = 0
        public var inboundSignaturesChecked = 0
        /// Inbound frames the daemon had rejected: their signatures are expected to fail and are not re-checked.
        public var inboundRejected = 0
        /// With `checkResponses`: signed responses whose signature was verified, and responses without a signature
        /// to check (the plain errors sent for unreadable frames, answers to requests without a readable Head).
        public var responseSignaturesChecked = 0
        public var responsesNotChecked = 0
        /// Records newer than the newest checkpoint (protected by fsync only until the next checkpoint). Non-zero
        /// only with `allowUncovered`: otherwise they fail verification (`checkpointBehindLog`).
        public var recordsAfterLastCheckpoint: UInt64 = 0
        /// SHA-256 of the audit certificate the checkpoints were checked with.
        public var auditCertificateFingerprint = ""
    }

    public let trust: TrustStore?
    /// Lowercase hex SHA-256 of the bank's published audit certificate. Any certificate that chains to `trust` would
    /// otherwise do — a corporation's operator certificate too — so an auditor should always pin it.
    public let auditCertificateFingerprint: String?
    public let limits: AuditLimits
    /// Accept records that no checkpoint covers (a copy of a running daemon's log). A daemon signs a checkpoint at
    /// shutdown, so in a cleanly closed log every record is covered; uncovered records otherwise mean that
    /// `checkpoints.log` was deleted or cut back, or that records were appended after the final checkpoint.
    public let allowUncovered: Bool
    /// Also verify the bank's signature on every signed response (with `trust`, which must then cover the bank's
    /// signing certificate), so a response changed in the log is named exactly, not only as a range under a
    /// checkpoint whose root no longer matches.
    public let checkResponses: Bool
    /// The bank's response-signing certificates: with `checkResponses`, a response signed by any other certificate
    /// (even one `trust` accepts, such as an operator's) fails. Empty: any certificate `trust` accepts.
    public let responseSigners: [Certificate]

    public init(trust: TrustStore?, auditCertificateFingerprint: String? = nil, limits: AuditLimits = .default,
                allowUncovered: Bool = false, checkResponses: Bool = false, responseSigners: [Certificate] = []) {
        self.responseSigners = responseSigners
        self.trust = trust
        self.auditCertificateFingerprint = auditCertificateFingerprint?.lowercased().replacingOccurrences(of: ":", with: "")
        self.limits = limits
        self.allowUncovered = allowUncovered
        self.checkResponses = checkResponses
    }

    public func verify(directory: URL) throws -> Summary {
        let certificate = try AuditLogReader.certificate(directory: directory)
        var summary = Summary()
        let verifier = trust.map { MessageVerifier(trust: $0, schema: nil) }
        let checkResponses = self.checkResponses
        let signers = responseSigners
        // Each request's verdict until its response is read (they share the correlation id).
        var verdicts: [String: AuditRecord.Verdict] = [:]
        let contents = try AuditLogReader.read(directory: directory, limits: limits) { index, record, _ in
            guard record.direction == .inbound else {
                let verdict = verdicts.removeValue(forKey: record.correlationId)
                guard checkResponses, let verifier else { return }
                let checked = verdict == .unreadable ? false : try Self.checkResponse(record, index: index, verifier: verifier, signers: signers)
                if !checked {
                    summary.responsesNotChecked += 1
                } else {
                    summary.responseSignaturesChecked += 1
                }
                return
            }
            if checkResponses { verdicts[record.correlationId] = record.verdict }
            if record.verdict != .verified { summary.inboundRejected += 1; return }
            guard let verifier else { return }
            try Self.checkMessage(record, index: index, verifier: verifier)
            summary.inboundSignaturesChecked += 1
        }
        if let torn = contents.tornTail {
            throw AuditError(.tornTail, "\(torn.reason); the log ends in a partial write (reopening it with the daemon cuts it)",
                             recordIndex: torn.recordIndex)
        }
        if contents.checkpointTornBytes > 0 {
            throw AuditError(.checkpointMalformed, "\(CheckpointFile.fileName) ends in \(contents.checkpointTornBytes) bytes of a partial checkpoint",
                             checkpointIndex: contents.checkpoints.count)
        }
        try Self.checkAuditCertificate(certificate, trust: trust, pinned: auditCertificateFingerprint,
                                       at: contents.checkpoints.last?.time ?? Date())
        try Self.checkCheckpoints(contents.checkpoints, tree: contents.tree, certificate: certificate)
        let covered = contents.checkpoints.last?.treeSize ?? 0
        if covered < contents.tree.size, !allowUncovered {
            throw AuditError(.checkpointBehindLog,
                             "records \(covered)..<\(contents.tree.size) are not covered by any signed checkpoint (\(CheckpointFile.fileName) deleted or cut back, or records appended after the final checkpoint); a copy of a running daemon's log needs --allow-uncovered",
                             recordIndex: covered, checkpointIndex: contents.checkpoints.isEmpty ? nil : contents.checkpoints.count - 1)
        }
        summary.records = contents.tree.size
        summary.auditCertificateFingerprint = certificate.fingerprintSHA256
        summary.checkpoints = contents.checkpoints.count
        summary.recordsAfterLastCheckpoint = contents.tree.size - covered
        return summary
    }

    static func checkAuditCertificate(_ certificate: Certificate, trust: TrustStore?, pinned: String?, at time: Date) throws {
        if let pinned, certificate.fingerprintSHA256 != pinned {
            throw AuditError(.keyRejected, "the audit certificate's SHA-256 is \(certificate.fingerprintSHA256), not the pinned \(pinned)")
        }
        guard let trust else { return }
        do {
            _ = try trust.validate(leaf: certificate, intermediates: [], at: time)
        } catch {
            throw AuditError(.keyRejected, "the audit certificate is not trusted at \(time): \(error)")
        }
    }

    /// A response's signature and its echo of the record's Head fields. Returns false for a response that has nothing
    /// to check: not a signed message (a plain FrameError), or an answer to a request without a readable Head (its
    /// Head omits the fields, which the envelope check requires).
    static func checkResponse(_ record: AuditRecord, index: UInt64, verifier: MessageVerifier, signers: [Certificate]) throws -> Bool {
        let message: VerifiedMessage
        do {
            message = try verifier.verify(record.bytes, at: record.receivedAt)
        } catch {
            let headless = record.corpId.isEmpty || record.serialNo.isEmpty || record.txCode.isEmpty
            if headless && !error.code.rawValue.hasPrefix("3") && !error.code.rawValue.hasPrefix("4") { return false }
            throw AuditError(.messageSignature, "the response recorded does not verify as the bank's signed message: \(error)", recordIndex: index)
        }
        guard signers.isEmpty || signers.contains(message.signer.leaf) else {
            throw AuditError(.messageSignature, "the response is signed by \(message.signer.identity.subject), not by a pinned bank certificate",
                             recordIndex: index)
        }
        try checkHead(of: message, against: record, index: index, what: "the response's signed Head")
        return true
    }

    static func checkMessage(_ record: AuditRecord, index: UInt64, verifier: MessageVerifier) throws {
        let message: VerifiedMessage
        do {
            message = try verifier.verify(record.bytes, at: record.receivedAt)
        } catch {
            throw AuditError(.messageSignature, "inbound message recorded as verified does not verify now: \(error)", recordIndex: index)
        }
        try checkHead(of: message, against: record, index: index, what: "the signed Head")
    }

    /// The record's CorpId, SerialNo and TxCode are the ones its message signed.
    private static func checkHead(of message: VerifiedMessage, against record: AuditRecord, index: UInt64, what: String) throws {
        let head = message.head
        guard head.corpId == record.corpId, head.serialNo == record.serialNo, head.txCode == record.txCode else {
            throw AuditError(.messageSignature, "\(what) (\(head.corpId) \(head.serialNo) \(head.txCode)) disagrees with the record's metadata",
                             recordIndex: index)
        }
    }
}
