import DirectLinkAudit
import DirectLinkCrypto
import DirectLinkEngine
import DirectLinkGateway
import DirectLinkMessage
@testable import DirectLinkServer
import DirectLinkXML
import Foundation
import Logging
import Testing

/// The daemon's audit sink (`AuditRecorder`, a real log on disk) behind a switch that makes every record fail.
final class SwitchableAuditSink: AuditSink, @unchecked Sendable {
    struct Refused: Error {}

    let recorder: AuditRecorder
    private let lock = NSLock()
    /// Records still to refuse (Int.max: all of them).
    private var failuresLeft = Int.max

    init(directory: URL) throws {
        recorder = try AuditRecorder(directory: directory, keyPath: Repository.pki("bank-audit.key"),
                                     certificatePath: Repository.pki("bank-audit.pem"), limits: AuditLimits(), gatherSeconds: 0.0005)
    }

    func setFailing(_ value: Bool) { lock.withLock { failuresLeft = value ? Int.max : 0 } }

    /// Refuses the next `count` records, then accepts.
    func failNext(_ count: Int) { lock.withLock { failuresLeft = count } }

    func record(inbound: [UInt8], outbound: [UInt8], metadata: AuditMetadata) async throws {
        try await begin(inbound: inbound, outbound: outbound, metadata: metadata).durable()
    }

    func begin(inbound: [UInt8], outbound: [UInt8], metadata: AuditMetadata) -> any AuditPending {
        let refuse = lock.withLock { () -> Bool in
            guard failuresLeft > 0 else { return false }
            if failuresLeft != Int.max { failuresLeft -= 1 }
            return true
        }
        if refuse { return FailedRecord() }
        return recorder.begin(inbound: inbound, outbound: outbound, metadata: metadata)
    }

    struct FailedRecord: AuditPending {
        func durable() async throws { throw Refused() }
    }

    func latestCheckpoint() async throws -> AuditCheckpointView? { try await recorder.latestCheckpoint() }
    func inclusion(corpId: String, serialNo: String) async throws -> AuditInclusionView? {
        try await recorder.inclusion(corpId: corpId, serialNo: serialNo)
    }
}

/// Never a response whose audit record is not durable: the gateway answers SYS.UNAVAILABLE instead when that answer
/// can be recorded with the request, and nothing at all (the connection closes) when not even that can; a resend
/// after the log recovers gets the original response (the payment itself committed once).
struct AuditReleaseTests {
    @Test func aResponseWhoseAuditRecordFailsIsNeverReleased() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("directlink-audit-release-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = try TransactionEngine.open(path: directory.appendingPathComponent("engine.sqlite").path,
                                               configuration: try EngineConfiguration.load(directory: Repository.root.appendingPathComponent("conf/engine")))
        defer { engine.close() }
        guard let xsd = FileManager.default.contents(atPath: Repository.path("Schemas/directlink-1.xsd")) else {
            throw HarnessFailure("no schema")
        }
        let verifier = MessageVerifier(trust: try TrustStore(caBundlePath: Repository.pki("ca-bundle.pem"), crlPaths: [Repository.pki("crls.pem")]),
                                       schema: try XMLSchema(xsd: [UInt8](xsd)))
        let sink = try SwitchableAuditSink(directory: directory.appendingPathComponent("audit"))
        let gateway = Gateway(verifier: { verifier }, signer: try MessageSigner(keyPath: Repository.pki("bank-signing-ec.key"),
                                                                                certificatePath: Repository.pki("bank-signing-ec.pem")),
                              engine: engine, audit: sink, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let bank = try Bank()
        let context = RequestContext(connectionId: 7, tlsCorpId: nil, tlsPeerFingerprint: nil)
        let payment = try Request.intraBankPayment()
        let query = try Request.signed("balance-query")

        // The log refuses everything: neither the payment's nor the query's response goes out, nor any answer.
        #expect(await gateway.handle(payment, context: context) == nil)
        #expect(await gateway.handle(query, context: context) == nil)

        // The log refuses one record, then works: the query's answer is replaced by a recorded SYS.UNAVAILABLE.
        sink.failNext(1)
        let unavailable = try bank.read(try #require(await gateway.handle(query, context: context)))
        #expect(unavailable.retCode == RetCode.serviceUnavailable.rawValue, "\(unavailable.summary)")

        // The log works again: the resent payment gets its original result (committed once), the query its answer.
        sink.setFailing(false)
        let resent = try bank.read(try #require(await gateway.handle(payment, context: context)))
        #expect(resent.retCode == RetCode.ok.rawValue)
        #expect(resent.resultName == "PaymentResult")
        let answered = try bank.read(try #require(await gateway.handle(try Request.signed("balance-query"), context: context)))
        #expect(answered.retCode == RetCode.ok.rawValue)
        try sink.recorder.close()

        // Exactly the three exchanges that were answered are in the log, each with the bytes sent.
        var records: [(AuditRecord.Direction, String, [UInt8])] = []
        _ = try AuditLogReader.read(directory: directory.appendingPathComponent("audit")) { _, record, _ in
            records.append((record.direction, record.retCode, record.bytes))
        }
        #expect(records.map(\.0) == [.inbound, .outbound, .inbound, .outbound, .inbound, .outbound])
        #expect(records.map(\.1) == [RetCode.serviceUnavailable.rawValue, RetCode.serviceUnavailable.rawValue]
                + Array(repeating: RetCode.ok.rawValue, count: 4))
        #expect(records.count == 6 && records[0].2 == query && records[1].2 == unavailable.bytes, "the SYS.UNAVAILABLE sent is the one recorded")
    }
}
