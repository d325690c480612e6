import Foundation

/// One message as it crossed the wire, with the facts an auditor needs about it.
///
/// `bytes` are exactly what was received (inbound) or sent (outbound). The record's canonical encoding
/// (see `encode(leafIndex:)` and docs/audit.md) is the Merkle leaf; it includes the leaf index, so a record
/// that is moved, dropped or duplicated no longer matches its position.
public struct AuditRecord: Sendable, Equatable {
    public enum Direction: UInt8, Sendable {
        case inbound = 1
        case outbound = 2
    }

    /// What the verifier decided about an inbound frame. Outbound records carry `.response`.
    public enum Verdict: String, Sendable {
        /// `MessageVerifier` accepted the frame; `audit verify` re-checks its signature.
        case verified
        /// `MessageVerifier` refused the frame; `retCode` says why.
        case rejected
        /// The transport could not read the frame (garbage, too large, cut off: a FRAME.* `retCode`); the bytes are
        /// what arrived of it, and the outbound record is the plain, unsigned error sent before the connection closed.
        case unreadable
        /// An outbound response.
        case response
    }

    public var direction: Direction
    /// Microseconds since 1970-01-01T00:00:00Z (UTC).
    public var receivedAtMicroseconds: Int64
    public var connectionId: UInt64
    /// Lowercase hex SHA-256 of the TLS peer's certificate (empty when unknown).
    public var peerFingerprint: String
    public var corpId: String
    public var serialNo: String
    public var txCode: String
    public var verdict: Verdict
    /// The wire RetCode ("0000" for success).
    public var retCode: String
    /// Ties a response to its request (the daemon's own id).
    public var correlationId: String
    public var bytes: [UInt8]

    public init(direction: Direction, receivedAt: Date, connectionId: UInt64, peerFingerprint: String,
                corpId: String, serialNo: String, txCode: String, verdict: Verdict, retCode: String,
                correlationId: String, bytes: [UInt8]) {
        self.direction = direction
        self.receivedAtMicroseconds = Int64((receivedAt.timeIntervalSince1970 * 1_000_000).rounded(.down))
        self.connectionId = connectionId
        self.peerFingerprint = peerFingerprint
        self.corpId = corpId
        self.serialNo = serialNo
        self.txCode = txCode
        self.verdict = verdict
        self.retCode = retCode
        self.correlationId = correlationId
        self.bytes = bytes
    }

    public var receivedAt: Date { Date(timeIntervalSince1970: Double(receivedAtMicroseconds) / 1_000_000) }

    static let formatVersion: UInt8 = 1

    var textFields: [String] { [peerFingerprint, corpId, serialNo, txCode, verdict.rawValue, retCode, correlationId] }

    /// Throws limitExceeded when a field or the message is larger than `limits` allow.
    func check(_ limits: AuditLimits) throws {
        guard bytes.count <= limits.messageBytesMax else {
            throw AuditError(.limitExceeded, "message of \(bytes.count) bytes; messageBytesMax is \(limits.messageBytesMax)")
        }
        for field in textFields where field.utf8.count > limits.fieldBytesMax {
            throw AuditError(.limitExceeded, "metadata field of \(field.utf8.count) bytes; fieldBytesMax is \(limits.fieldBytesMax)")
        }
    }

    /// The canonical encoding (the Merkle leaf input). Big-endian throughout:
    /// u8 version=1 ‖ u64 leafIndex ‖ u8 direction ‖ i64 receivedAt µs ‖ u64 connectionId ‖
    /// 7 × (u16 length ‖ UTF-8) for peerFingerprint, corpId, serialNo, txCode, verdict, retCode, correlationId ‖
    /// u32 length ‖ message bytes.
    public func encode(leafIndex: UInt64) -> [UInt8] {
        var out = ByteWriter(capacity: encodedBytesEstimate)
        encode(leafIndex: leafIndex, into: &out)
        return out.buffer
    }

    var encodedBytesEstimate: Int { 64 + bytes.count + textFields.reduce(0) { $0 + $1.utf8.count + 2 } }

    /// Appends the canonical encoding to `out` (the append path writes straight into the group's buffer).
    func encode(leafIndex: UInt64, into out: inout ByteWriter) {
        out.u8(Self.formatVersion)
        out.u64(leafIndex)
        out.u8(direction.rawValue)
        out.u64(UInt64(bitPattern: receivedAtMicroseconds))
        out.u64(connectionId)
        for field in textFields {
            precondition(field.utf8.count <= Int(UInt16.max), "field lengths are checked by check(_:) before encoding")
            out.u16(UInt16(field.utf8.count))
            out.bytes(field.utf8)
        }
        precondition(bytes.count <= Int(UInt32.max), "message length is checked by check(_:) before encoding")
        out.u32(UInt32(bytes.count))
        out.bytes(bytes)
    }

    /// CorpId and SerialNo of a canonical encoding without copying the message (the open path indexes every record).
    static func decodeSerialKey(_ encoded: ArraySlice<UInt8>) throws -> (corpId: String, serialNo: String) {
        var reader = ByteReader(encoded)
        _ = try reader.take(1 + 8 + 1 + 8 + 8)
        var fields: [String] = []
        for _ in 0..<3 {
            let length = Int(try reader.u16())
            guard let text = String(validating: try reader.take(length), as: UTF8.self) else {
                throw AuditError(.recordEncoding, "metadata field is not UTF-8")
            }
            fields.append(text)
        }
        return (fields[1], fields[2])
    }

    /// Decodes a canonical encoding; returns the leaf index it claims and the record.
    public static func decode(_ encoded: ArraySlice<UInt8>) throws -> (leafIndex: UInt64, record: AuditRecord) {
        var reader = ByteReader(encoded)
        guard try reader.u8() == formatVersion else { throw AuditError(.recordEncoding, "unknown record format version") }
        let index = try reader.u64()
        guard let direction = Direction(rawValue: try reader.u8()) else { throw AuditError(.recordEncoding, "unknown direction") }
        let micros = Int64(bitPattern: try reader.u64())
        let connection = try reader.u64()
        var fields: [String] = []
        for _ in 0..<7 {
            let length = Int(try reader.u16())
            let raw = try reader.take(length)
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw AuditError(.recordEncoding, "metadata field is not UTF-8")
            }
            fields.append(text)
        }
        guard let verdict = Verdict(rawValue: fields[4]) else { throw AuditError(.recordEncoding, "unknown verdict \(fields[4])") }
        let messageLength = Int(try reader.u32())
        let message = Array(try reader.take(messageLength))
        guard reader.isAtEnd else { throw AuditError(.recordEncoding, "trailing bytes after the message") }
        var record = AuditRecord(direction: direction, receivedAt: Date(timeIntervalSince1970: 0), connectionId: connection,
                                 peerFingerprint: fields[0], corpId: fields[1], serialNo: fields[2], txCode: fields[3],
                                 verdict: verdict, retCode: fields[5], correlationId: fields[6], bytes: message)
        record.receivedAtMicroseconds = micros
        return (index, record)
    }
}
