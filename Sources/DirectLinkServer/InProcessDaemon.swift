import DirectLinkEngine
import Foundation
import Logging
import ServiceLifecycle

/// A `Daemon` run in this process by a `ServiceGroup` — for `bench load`, replay against a daemon, and the tests.
/// `stop()` is what SIGTERM does: a graceful drain, then `run()` returns.
public final class InProcessDaemon: Sendable {
    public let daemon: Daemon
    public let port: Int
    public let adminPort: Int
    /// The resolved data directory (database and audit log).
    public let dataDirectory: String
    let group: ServiceGroup
    let task: Task<Void, any Error>

    private init(daemon: Daemon, ports: (listen: Int, admin: Int), dataDirectory: String, group: ServiceGroup, task: Task<Void, any Error>) {
        self.daemon = daemon
        self.port = ports.listen
        self.adminPort = ports.admin
        self.dataDirectory = dataDirectory
        self.group = group
        self.task = task
    }

    /// `configuration` with a fresh temporary data directory and both listeners on 127.0.0.1, port 0.
    public static func ephemeral(_ configuration: DaemonConfiguration, prefix: String = "directlink") -> DaemonConfiguration {
        var copy = configuration
        copy.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        copy.audit.directory = nil
        copy.listen.host = "127.0.0.1"
        copy.listen.port = 0
        copy.admin.host = "127.0.0.1"
        copy.admin.port = 0
        return copy
    }

    public static func start(configuration: DaemonConfiguration, logger: Logger, engineConfiguration: EngineConfiguration? = nil,
                             clock: @escaping @Sendable () -> Date = { Date() }) async throws -> InProcessDaemon {
        let daemon = try Daemon(configuration: configuration, logger: logger, engineConfiguration: engineConfiguration, clock: clock)
        let group = ServiceGroup(configuration: .init(services: [.init(service: daemon)], logger: logger))
        let task = Task { try await group.run() }
        // `run()` finishes the start-up stream whether or not it could bind, so this never hangs.
        guard let ports = await daemon.waitUntilStarted() else {
            await group.triggerGracefulShutdown()
            throw ServerConfigurationError("the daemon did not start: \(await task.result)")
        }
        return InProcessDaemon(daemon: daemon, ports: ports, dataDirectory: configuration.path(configuration.dataDirectory),
                               group: group, task: task)
    }

    /// Graceful shutdown, then waits for `run()` to return; removes the data directory unless asked not to.
    public func stop(removingData: Bool = true) async throws {
        await group.triggerGracefulShutdown()
        try await task.value
        if removingData { try? FileManager.default.removeItem(atPath: dataDirectory) }
    }
}
