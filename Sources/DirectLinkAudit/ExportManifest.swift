/// `proofs.json` of an export bundle. Hashes are lowercase hex; the root is also given in base64 as in the checkpoint.
public struct ExportManifest: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var leafIndex: UInt64
        public var direction: String
        public var corpId: String
        public var serialNo: String
        public var txCode: String
        public var verdict: String
        public var retCode: String
        /// ISO 8601 UTC with milliseconds (the record itself holds microseconds); `verify-export` requires exactly the
        /// string `export` writes for the record's time.
        public var receivedAt: String
        /// The daemon's id of the TCP connection, the lowercase hex SHA-256 of the TLS peer's certificate, and the
        /// correlation id the response, the log line and the record share. Bundles written before these fields
        /// existed lack them (nil); when present, `verify-export` checks them like every other field.
        public var connectionId: UInt64?
        public var peerFingerprint: String?
        public var correlationId: String?
        /// Bundle-relative path of the canonical record encoding (the Merkle leaf input).
        public var record: String
        /// Bundle-relative path of the message's exact bytes.
        public var message: String
        public var leafHash: String
        /// Inclusion proof against the checkpoint, leaf to root (RFC 9162 §2.1.3).
        public var inclusionProof: [String]
    }

    public static let currentFormat = "directlink-audit-export-v1"

    public var format = currentFormat
    public var corpId: String
    public var from: String
    public var to: String
    public var treeSize: UInt64
    public var rootHash: String
    /// Matching records newer than the checkpoint, left out because no signed checkpoint covers them yet.
    public var recordsNotYetCheckpointed: Int
    public var entries: [Entry]
}
