import DirectLinkAudit
import Foundation

/// The inbound traffic of a DirectLink audit log (`DirectLinkAudit`, docs/audit.md): each inbound record paired
/// with the outbound record of the same connection and correlation id, in the order the inbound frames were logged.
/// Frames the transport could not read (verdict `unreadable`) are left out.
/// The log's Merkle tree and checkpoints are not checked here (`directlink audit verify` does that).
public struct AuditLogTraffic: RecordedTraffic {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// Whether `directory` looks like an audit log (it holds segment files).
    public static func isAuditLog(_ directory: URL) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.contains { $0.hasPrefix("segment-") && $0.hasSuffix(".dlog") }
    }

    public func exchanges() throws -> [RecordedExchange] {
        struct Key: Hashable {
            var connection: UInt64
            var correlation: String
        }
        var inbound: [(index: UInt64, key: Key, bytes: [UInt8])] = []
        var outbound: [Key: [UInt8]] = [:]
        do {
            _ = try AuditLogReader.read(directory: directory) { index, record, _ in
                let key = Key(connection: record.connectionId, correlation: record.correlationId)
                switch record.direction {
                case .inbound:
                    // Frames the transport could not read (garbage, too large, cut off) never reached the gateway
                    // and were answered with a plain transport error: there is nothing to re-drive.
                    guard record.verdict != .unreadable else { return }
                    inbound.append((index, key, record.bytes))
                case .outbound: outbound[key] = record.bytes
                }
            }
        } catch {
            throw ReplayError("cannot read the audit log \(directory.path): \(error)")
        }
        return try inbound.map { entry in
            guard let response = outbound[entry.key] else {
                throw ReplayError("audit record \(entry.index) (correlation \(entry.key.correlation)) has no logged response")
            }
            let digits = String(entry.index)
            return RecordedExchange(label: "record " + String(repeating: "0", count: max(0, 6 - digits.count)) + digits,
                                    inbound: entry.bytes, outbound: response)
        }
    }
}
