/// Every bound the audit log enforces, units last. Checked against each other by `validate()`.
public struct AuditLimits: Sendable, Equatable {
    /// Largest message (frame or response) one record may carry.
    public var messageBytesMax: Int = 16 << 20
    /// Largest metadata string (CorpId, SerialNo, fingerprint …), UTF-8 bytes; the format allows 65 535.
    public var fieldBytesMax: Int = 1024
    /// A segment is closed once it reaches this size (a single large group commit may overshoot it once).
    public var segmentBytesMax: Int = 64 << 20
    /// Zeros written ahead of the data of the open segment, this many bytes at a time (0: plain appends). Records are
    /// then written over blocks the file already has, and their fdatasync flushes data without a journal commit.
    public var segmentReserveBytes: Int = 1 << 20
    /// Records per group commit (one `append` call).
    public var groupRecordsMax: Int = 4096
    /// Sign a checkpoint after this many new records …
    public var checkpointIntervalRecords: Int = 1000
    /// … or when the newest checkpoint is older than this, whichever comes first.
    public var checkpointIntervalSeconds: Double = 10

    public init() {}

    public static let `default` = AuditLimits()

    public func validate() throws {
        guard messageBytesMax > 0, messageBytesMax <= Int(UInt32.max) - 4096 else {
            throw AuditError(.limitExceeded, "messageBytesMax must be in 1…\(Int(UInt32.max) - 4096)")
        }
        guard fieldBytesMax > 0, fieldBytesMax <= Int(UInt16.max) else {
            throw AuditError(.limitExceeded, "fieldBytesMax must be in 1…65535")
        }
        guard segmentReserveBytes >= 0, segmentReserveBytes <= 1 << 30 else {
            throw AuditError(.limitExceeded, "segmentReserveBytes must be in 0…1 GiB")
        }
        guard segmentBytesMax >= 4096, groupRecordsMax > 0, checkpointIntervalRecords > 0, checkpointIntervalSeconds > 0 else {
            throw AuditError(.limitExceeded, "segmentBytesMax ≥ 4096 and a positive group size and checkpoint intervals required")
        }
    }
}
