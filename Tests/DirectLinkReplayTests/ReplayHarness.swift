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

/// A `Daemon` run in-process by a `ServiceGroup` on 127.0.0.1 port 0 with a fresh data directory.
final class TestDaemon: Sendable {
    let daemon: Daemon
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int
    let dataDirectory: String

    private init(daemon: Daemon, group: ServiceGroup, task: Task<Void, any Error>, port: Int, dataDirectory: String) {
        self.daemon = daemon
        self.group = group
        self.task = task
        self.port = port
        self.dataDirectory = dataDirectory
    }

    static func start() async throws -> TestDaemon {
        var configuration = try DaemonConfiguration.load(path: Repository.root.appendingPathComponent("conf/directlink.json").path)
        configuration.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("replay-daemon-\(UUID().uuidString)").path
        configuration.listen.host = "127.0.0.1"
        configuration.listen.port = 0
        configuration.admin.host = "127.0.0.1"
        configuration.admin.port = 0
        let logger = Logger(label: "replay-test", factory: { _ in SwiftLogNoOpLogHandler() })
        let daemon = try Daemon(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: daemon)], logger: logger))
        let task = Task { try await group.run() }
        let ports = await daemon.waitUntilStarted()
        guard let ports else {
            await group.triggerGracefulShutdown()
            throw HarnessFailure(description: "the daemon did not start: \(await task.result)")
        }
        return TestDaemon(daemon: daemon, group: group, task: task, port: ports.listen, dataDirectory: configuration.dataDirectory)
    }

    func stop(removingData: Bool = true) async throws {
        await group.triggerGracefulShutdown()
        try await task.value
        if removingData { try? FileManager.default.removeItem(atPath: dataDirectory) }
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
