/// Why the audit log refused an operation or failed verification: a stable code, where, and a reason.
///
/// Codes are listed in the order `AuditVerifier` checks them. `recordIndex` is the leaf index of the first bad
/// record when one can be named; `checkpointIndex` the position of the checkpoint in `checkpoints.log`.
public struct AuditError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        // Operating errors of the writer.
        case io, limitExceeded, keyRejected
        // Structure of the segment files.
        case segmentMissing, segmentHeader, recordFraming, recordChecksum, recordEncoding, recordIndex, tornTail
        // Group seals (checked when the writer opens the log; they need the audit key).
        case sealMissing, sealInvalid
        // Checkpoints.
        case checkpointMalformed, checkpointSignature, checkpointOrder, checkpointBeyondLog, checkpointRoot,
             checkpointContradiction, checkpointBehindLog
        // Messages inside records.
        case messageSignature
        // Proofs and bundles.
        case proofInvalid, notFound, bundleMalformed
    }

    public let code: Code
    public let reason: String
    public let recordIndex: UInt64?
    public let checkpointIndex: Int?
    /// With `recordIndex`: the end of the range of records the failure lies in (checkpoint roots name a range).
    public let recordRangeEnd: UInt64?

    public init(_ code: Code, _ reason: String, recordIndex: UInt64? = nil, checkpointIndex: Int? = nil, recordRangeEnd: UInt64? = nil) {
        self.code = code
        self.reason = reason
        self.recordIndex = recordIndex
        self.checkpointIndex = checkpointIndex
        self.recordRangeEnd = recordRangeEnd
    }

    public var description: String {
        var text = code.rawValue
        if let recordIndex, let recordRangeEnd {
            text += " in records \(recordIndex)..<\(recordRangeEnd)"
        } else if let recordIndex {
            text += " at record \(recordIndex)"
        }
        if let checkpointIndex { text += " at checkpoint \(checkpointIndex)" }
        return text + ": " + reason
    }
}
