import DirectLinkAudit
import DirectLinkCrypto
import DirectLinkEngine
import DirectLinkGateway
import DirectLinkReplay
import DirectLinkServer
import Foundation
import Logging
import ServiceLifecycle

/// The repository: scenarios, keys and `conf/` are read from it exactly as `directlink replay` reads them.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scenarios = root.appendingPathComponent("Fixtures/scenarios")

    static func environment() throws -> ReplayEnvironment {
        try ReplayEnvironment(home: root)
    }

    static func scenarioNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: scenarios.path)) ?? [])
            .filter { FileManager.default.fileExists(atPath: scenarios.appendingPathComponent($0).appendingPathComponent("scenario.json").path) }
            .sorted()
    }

    static func scenario(_ name: String) throws -> Scenario {
        try Scenario.load(directory: scenarios.appendingPathComponent(name))
    }

    /// A copy of a scenario in a temporary folder, for tests that break or rewrite goldens.
    static func copy(_ name: String) throws -> URL {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("replay-test-\(UUID().uuidString)").appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: scenarios.appendingPathComponent(name), to: target)
        return target
    }
}

/// Scenarios whose golden files state the correct protocol behaviour that the current build does not deliver yet
/// (each names the bug; remove the entry when the fix lands and the scenario passes).
/// Scenarios whose goldens are ahead of the build, with the reason; empty while the build meets every golden.
let knownEngineBugs: [String: String] = [:]

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
}

/// A `Daemon` run in-process (`InProcessDaemon`) on 127.0.0.1 port 0 with a fresh data directory.
final class TestDaemon: Sendable {
    let running: InProcessDaemon
    var daemon: Daemon { running.daemon }
    var port: Int { running.port }
    var dataDirectory: String { running.dataDirectory }

    private init(running: InProcessDaemon) {
        self.running = running
    }

    static func start() async throws -> TestDaemon {
        let configuration = InProcessDaemon.ephemeral(
            try DaemonConfiguration.load(path: Repository.root.appendingPathComponent("conf/directlink.json").path), prefix: "replay-daemon")
        let logger = Logger(label: "replay-test", factory: { _ in SwiftLogNoOpLogHandler() })
        return TestDaemon(running: try await InProcessDaemon.start(configuration: configuration, logger: logger))
    }

    func stop(removingData: Bool = true) async throws {
        try await running.stop(removingData: removingData)
    }
}

/// Records a gateway's traffic in a real audit log (what the daemon will do once it wires `DirectLinkAudit` in).
final class AuditLogSink: AuditSink, @unchecked Sendable {
    let log: AuditLog
    private let lock = NSLock()

    init(directory: URL) throws {
        let pki = Repository.root.appendingPathComponent("Fixtures/pki")
        log = try AuditLog(directory: directory,
                           key: try PrivateKey(pem: [UInt8](Data(contentsOf: pki.appendingPathComponent("bank-audit.key")))),
                           certificate: try Certificate(pem: [UInt8](Data(contentsOf: pki.appendingPathComponent("bank-audit.pem")))))
    }

    func record(inbound: [UInt8], outbound: [UInt8], metadata: AuditMetadata) async throws {
        func record(_ direction: AuditRecord.Direction, _ verdict: AuditRecord.Verdict, _ bytes: [UInt8]) -> AuditRecord {
            AuditRecord(direction: direction, receivedAt: metadata.receivedAt, connectionId: metadata.connectionId,
                        peerFingerprint: metadata.peerFingerprint ?? "", corpId: metadata.corpId ?? "", serialNo: metadata.serialNo ?? "",
                        txCode: metadata.txCode ?? "", verdict: verdict, retCode: metadata.retCode,
                        correlationId: metadata.correlationId, bytes: bytes)
        }
        let records = [record(.inbound, metadata.verified ? .verified : .rejected, inbound), record(.outbound, .response, outbound)]
        _ = try lock.withLock { try log.append(records) }
    }

    func latestCheckpoint() async throws -> AuditCheckpointView? { nil }
    func inclusion(corpId: String, serialNo: String) async throws -> AuditInclusionView? { nil }

    func close() throws { try log.close() }
}
