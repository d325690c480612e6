import DirectLinkEngine
import DirectLinkLedger
import DirectLinkServer
import Foundation
import Logging

/// A fresh in-process daemon per scenario, reached over mutual TLS on 127.0.0.1 like any ERP, but started at the
/// scenario's clock with the scenario's engine configuration: so the whole library, clock steps and housekeeping
/// included, runs through the real transport (the tests' "against a daemon" mode).
public final class DaemonTarget: ReplayTarget, @unchecked Sendable {
    let clock: ManualClock
    let running: InProcessDaemon
    let server: ServerTarget

    public static func start(environment: ReplayEnvironment, engineConfiguration: EngineConfiguration, start: Date?,
                             framing: DirectLinkClient.Framing) async throws -> DaemonTarget {
        let clock = ManualClock(epochSeconds: Int64((start ?? Date()).timeIntervalSince1970.rounded(.down)))
        let running = try await InProcessDaemon.start(
            configuration: InProcessDaemon.ephemeral(environment.configuration, prefix: "replay-daemon"),
            logger: Logger(label: "directlink-replay", factory: { _ in SwiftLogNoOpLogHandler() }),
            engineConfiguration: engineConfiguration,
            clock: { Date(timeIntervalSince1970: Double(clock.nowEpochSeconds())) })
        let server = ServerTarget(host: "127.0.0.1", port: running.port, framing: framing, environment: environment, engine: running.daemon.engine)
        return DaemonTarget(clock: clock, running: running, server: server)
    }

    private init(clock: ManualClock, running: InProcessDaemon, server: ServerTarget) {
        self.clock = clock
        self.running = running
        self.server = server
    }

    public func now() -> Date { Date(timeIntervalSince1970: Double(clock.nowEpochSeconds())) }
    public var hasScenarioClock: Bool { true }
    public func advance(seconds: Int64) { clock.advance(seconds: seconds) }

    public func housekeeping() async throws -> Bool {
        _ = try await running.daemon.engine.runHousekeeping()
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
        try? await running.stop()
    }
}
