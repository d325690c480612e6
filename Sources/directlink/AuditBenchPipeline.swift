import DirectLinkAudit
import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation

/// A stand-in for the daemon until it exists: per exchange, verify a signed payment (parse, XSD, XML-DSig, chain) and
/// sign a response with the bank's key, with `inFlight` exchanges in flight on the cooperative pool; with the log on,
/// each exchange also awaits `AuditCommitQueue.commit([request, response])` before it counts as answered.
struct AuditBenchPipeline: Sendable {
    let verifier: MessageVerifier
    let request: [UInt8]
    let responseSigner: MessageSigner
    let responseTemplate: [UInt8]

    init(pki: String, message: String) throws {
        let store = try TrustStore(caBundlePath: "\(pki)/ca-bundle.pem", crlPaths: ["\(pki)/crls.pem"])
        let schema = try XMLSchema(xsd: ResourceLocator.read(ResourceLocator.path("Schemas/directlink-1.xsd")))
        verifier = MessageVerifier(trust: store, schema: schema)
        let maker = try MessageSigner(keyPath: "\(pki)/corpa-maker-ec.key", certificatePath: "\(pki)/corpa-maker-ec.pem")
        request = try maker.signXML(try ResourceLocator.read(message))
        responseSigner = try MessageSigner(keyPath: "\(pki)/bank-signing-ec.key", certificatePath: "\(pki)/bank-signing-ec.pem")
        responseTemplate = try ResourceLocator.read(message)
    }

    /// Exchanges per second over `seconds`.
    /// `perCommit` exchanges are verified and answered before one `commit` covers all their records (as an event loop
    /// would do for the requests it read in one tick).
    func rate(seconds: Double, inFlight: Int, perCommit: Int, queue: AuditCommitQueue?) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<inFlight {
                group.addTask {
                    var count = 0
                    while clock.now < deadline {
                        try await exchanges(perCommit, connection: UInt64(worker), queue: queue)
                        count += perCommit
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = clock.now - start
        return Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    private func exchanges(_ count: Int, connection: UInt64, queue: AuditCommitQueue?) async throws {
        var records: [AuditRecord] = []
        for _ in 0..<count { records += try exchange(connection: connection, logging: queue != nil) }
        if let queue { _ = try await queue.commit(records) }
    }

    private func exchange(connection: UInt64, logging: Bool) throws -> [AuditRecord] {
        let received = Date()
        let message = try verifier.verify(request, at: received)
        let response = try responseSigner.signXML(responseTemplate)
        guard logging else { return [] }
        let head = message.head
        return [
            AuditRecord(direction: .inbound, receivedAt: received, connectionId: connection, peerFingerprint: "", corpId: head.corpId,
                        serialNo: head.serialNo, txCode: head.txCode, verdict: .verified, retCode: "0000", correlationId: "", bytes: request),
            AuditRecord(direction: .outbound, receivedAt: Date(), connectionId: connection, peerFingerprint: "", corpId: head.corpId,
                        serialNo: head.serialNo, txCode: head.txCode, verdict: .response, retCode: "0000", correlationId: "", bytes: response),
        ]
    }
}
