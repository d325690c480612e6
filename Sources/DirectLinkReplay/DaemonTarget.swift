import DirectLinkEngine
import DirectLinkLedger
import DirectLinkServer
import Foundation
import Logging
import ServiceLifecycle

/// A fresh in-process daemon per scenario, reached over mutual TLS on 127.0.0.1 like any ERP, but started at the
/// scenario's clock with the scenario's engine configuration: so the whole library, clock steps and housekeeping
/// included, runs through the real transport (the tests' "against a daemon" mode).
public final class DaemonTarget: ReplayTarget, @unchecked Sendable {
    let clock: ManualClock
    let daemon: Daemon
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let server: ServerTarget
    let dataDirectory: String

    public static func start(environment: ReplayEnvironment, engineConfiguration: EngineConfiguration, start: Date?,
                             framing: DirectLinkClient.Framing) async throws -> DaemonTarget {
        var configuration = environment.configuration
        configuration.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("replay-daemon-\(UUID().uuidString)").path
        configuration.listen.host = "127.0.0.1"
        configuration.listen.port = 0
        configuration.admin.host = "127.0.0.1"
        configuration.admin.port = 0
        let clock = ManualClock(epochSeconds: Int64((start ?? Date()).timeIntervalSince1970.rounded(.down)))
        let logger = Logger(label: "directlink-replay", factory: { _ in SwiftLogNoOpLogHandler() })
        let daemon = try Daemon(configuration: configuration, logger: logger, engineConfiguration: engineConfiguration,
                                clock: { Date(timeIntervalSince1970: Double(clock.nowEpochSeconds())) })
        let group = ServiceGroup(configuration: .init(services: [.init(service: daemon)], logger: logger))
        let task = Task { try await group.run() }
        guard let ports = await daemon.waitUntilStarted() else {
            await group.triggerGracefulShutdown()
            _ = await task.result
            throw ReplayError("the daemon did not start")
        }
        let server = ServerTarget(host: "127.0.0.1", port: ports.listen, framing: framing, environment: environment, engine: daemon.engine)
        return DaemonTarget(clock: clock, daemon: daemon, group: group, task: task, server: server, dataDirectory: configuration.dataDirectory)
    }

    private init(clock: ManualClock, daemon: Daemon, group: ServiceGroup, task: Task<Void, any Error>, server: ServerTarget, dataDirectory: String) {
        self.clock = clock
        self.daemon = daemon
        self.group = group
        self.task = task
        self.server = server
        self.dataDirectory = dataDirectory
    }

    public func now() -> Date { Date(timeIntervalSince1970: Double(clock.nowEpochSeconds())) }
    public var hasScenarioClock: Bool { true }
    public func advance(seconds: Int64) { clock.advance(seconds: seconds) }

    public func housekeeping() async throws -> Bool {
        _ = try await daemon.engine.runHousekeeping()
        return true
    }

    public func send(_ request: [UInt8], connection: String?) async throws -> [UInt8] {
        try await server.send(request, connection: connection)
    }

    public func balances(corporation: String, accounts: [String]) async throws -> [String: String]? {
        try await server.balances(corporation: corporation, accounts: accounts)
    }

    public func close() async {
        await server.close()
        await group.triggerGracefulShutdown()
        _ = await task.result
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}
