import ArgumentParser
import DirectLinkServer
import Foundation
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the direct-link daemon (mutual TLS, both framings, admin listener).",
        discussion: """
        With no options it starts on the embedded default: conf/directlink.json, the demo PKI in Fixtures/pki,
        the SQLite database under ./data/, and the demo corporations from conf/engine/seed.json.
        SIGHUP reloads the trust store, CRLs and limit rules; SIGTERM drains (stop accepting, finish in-flight, commit) and exits 0.
        """
    )

    @Option(help: "Configuration file.") var config: String = ResourceLocator.path("conf/directlink.json")
    @Option(help: "Override the listen port (0 picks a free one).") var port: Int?
    @Option(help: "Override the admin port (0 picks a free one).") var adminPort: Int?
    @Option(help: "Override the data directory.") var data: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"

    func run() async throws {
        var configuration = try DaemonConfiguration.load(path: config)
        if let port { configuration.listen.port = port }
        if let adminPort { configuration.admin.port = adminPort }
        if let data { configuration.dataDirectory = data }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "directlink")
        let daemon = try Daemon(configuration: configuration, logger: logger)
        let reload = SignalReloader(daemon: daemon, logger: logger)
        reload.install()
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: daemon)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
        withExtendedLifetime(reload) {}
    }
}

/// SIGHUP → reload the trust store, CRLs and limit rules without dropping connections.
final class SignalReloader: @unchecked Sendable {
    let daemon: Daemon
    let logger: Logger
    private var source: (any DispatchSourceSignal)?

    init(daemon: Daemon, logger: Logger) {
        self.daemon = daemon
        self.logger = logger
    }

    func install() {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { [daemon, logger] in
            Task {
                do {
                    try await daemon.reload()
                } catch {
                    logger.error("reload failed; keeping the previous trust store and limits", metadata: ["error": "\(error)"])
                }
            }
        }
        source.resume()
        self.source = source
    }
}
