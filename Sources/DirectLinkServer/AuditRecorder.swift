import DirectLinkAudit
import DirectLinkCrypto
import DirectLinkGateway
import Foundation

/// The daemon's audit sink: each exchange (inbound frame, outbound response) is appended as two records by the
/// audit log's group-commit queue; `record` returns, and `begin`'s ticket completes, only once both are durable —
/// the gateway releases the response after that, never before.
final class AuditRecorder: AuditSink {
    let log: AuditLog
    let queue: AuditCommitQueue

    init(directory: URL, keyPath: String, certificatePath: String, limits: AuditLimits, gatherSeconds: Double) throws {
        let key = try PrivateKey(pem: try Daemon.read(keyPath))
        let certificate = try Certificate(pem: try Daemon.read(certificatePath))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        log = try AuditLog(directory: directory, key: key, certificate: certificate, limits: limits)
        queue = AuditCommitQueue(log: log, gatherSeconds: gatherSeconds)
    }

    func record(inbound: [UInt8], outbound: [UInt8], metadata: AuditMetadata) async throws {
        _ = try await queue.commit(Self.records(inbound: inbound, outbound: outbound, metadata: metadata))
    }

    /// Queues the exchange's two records without waiting; the gateway awaits the ticket after the journal's commit.
    func begin(inbound: [UInt8], outbound: [UInt8], metadata: AuditMetadata) -> any AuditPending {
        Ticket(ticket: queue.submit(Self.records(inbound: inbound, outbound: outbound, metadata: metadata)))
    }

    private struct Ticket: AuditPending {
        let ticket: AuditCommitTicket

        func durable() async throws {
            _ = try await ticket.indexes()
        }
    }

    private static func records(inbound: [UInt8], outbound: [UInt8], metadata: AuditMetadata) -> [AuditRecord] {
        let common = (metadata.receivedAt, metadata.connectionId, metadata.peerFingerprint ?? "", metadata.corpId ?? "",
                      metadata.serialNo ?? "", metadata.txCode ?? "")
        let request = AuditRecord(
            direction: .inbound, receivedAt: common.0, connectionId: common.1, peerFingerprint: common.2, corpId: common.3,
            serialNo: common.4, txCode: common.5, verdict: metadata.unreadable ? .unreadable : metadata.verified ? .verified : .rejected,
            retCode: metadata.retCode, correlationId: metadata.correlationId, bytes: inbound)
        let response = AuditRecord(
            direction: .outbound, receivedAt: common.0, connectionId: common.1, peerFingerprint: common.2, corpId: common.3,
            serialNo: common.4, txCode: common.5, verdict: .response,
            retCode: metadata.retCode, correlationId: metadata.correlationId, bytes: outbound)
        return [request, response]
    }

    func latestCheckpoint() async throws -> AuditCheckpointView? {
        log.latestCheckpoint.map(Self.view)
    }

    func inclusion(corpId: String, serialNo: String) async throws -> AuditInclusionView? {
        guard log.latestCheckpoint != nil else { return nil }
        let found = try log.inclusion(corpId: corpId, serialNo: serialNo)
        return AuditInclusionView(checkpoint: Self.view(found.checkpoint), entries: found.entries.map {
            AuditInclusionView.Entry(leafIndex: $0.leafIndex, leafHash: $0.leafHash, record: $0.record, proof: $0.proof)
        })
    }

    /// Commits what is queued and signs the final checkpoint (shutdown).
    func close() throws {
        try queue.close()
    }

    static func view(_ checkpoint: Checkpoint) -> AuditCheckpointView {
        AuditCheckpointView(treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, time: checkpoint.time, signature: checkpoint.signature,
                            signedText: checkpoint.signedText)
    }
}
