import DirectLinkAudit
import DirectLinkCrypto
import DirectLinkEngine
import protocol DirectLinkLedger.EngineClock
import DirectLinkGateway
import DirectLinkMessage
import DirectLinkXML
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The daemon assembled from `conf/directlink.json`: trust, verifier, bank signer, engine, gateway, TLS listener
/// and admin listener. `run()` serves until graceful shutdown (SIGTERM/SIGINT through ServiceLifecycle), then
/// drains: stop accepting, finish and write everything in flight, close the engine (all commits done), exit.
public final class Daemon: Service, @unchecked Sendable {
    public let configuration: DaemonConfiguration
    public let engine: TransactionEngine
    public let gateway: Gateway
    let trust: Reloadable<TrustStore>
    let verifier: Reloadable<MessageVerifier>
    let schema: XMLSchema
    let server: DirectLinkServer
    let group: MultiThreadedEventLoopGroup
    let threadPool: NIOThreadPool
    let logger: Logger
    let audit: AuditRecorder?
    private let started = AsyncStream<(Int, Int)>.makeStream()
    private var adminChannel: (any Channel)?

    /// The Prometheus registry every daemon in this process reports to (swift-metrics is bootstrapped once).
    public static let metricsRegistry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// `engineConfiguration` replaces the one in `configuration.engine` (benchmarks raise the limits this way).
    public init(configuration: DaemonConfiguration, logger: Logger, engineConfiguration: EngineConfiguration? = nil,
                clock: @escaping @Sendable () -> Date = { Date() }) throws {
        _ = Self.metricsRegistry
        self.configuration = configuration
        self.logger = logger
        let trustStore = try Self.loadTrust(configuration)
        trust = Reloadable(trustStore)
        schema = try XMLSchema(xsd: Self.read(configuration.path(configuration.schema)))
        verifier = Reloadable(MessageVerifier(trust: trustStore, schema: schema, limits: configuration.limits.xml))
        let signer = try MessageSigner(keyPath: configuration.path(configuration.signing.privateKey),
                                       certificatePath: configuration.path(configuration.signing.certificate))
        let dataDirectory = configuration.path(configuration.dataDirectory)
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let engineSettings = try engineConfiguration ?? EngineConfiguration.load(directory: URL(fileURLWithPath: configuration.path(configuration.engine)))
        engine = try TransactionEngine.open(path: dataDirectory + "/directlink.sqlite", configuration: engineSettings,
                                            clock: DaemonClock(now: clock))
        if configuration.audit.enabled {
            var auditLimits = AuditLimits()
            auditLimits.checkpointIntervalRecords = configuration.audit.checkpointEveryRecords
            auditLimits.checkpointIntervalSeconds = Double(configuration.audit.checkpointEverySeconds)
            auditLimits.messageBytesMax = max(auditLimits.messageBytesMax, configuration.limits.server.frameBytesMax)
            audit = try AuditRecorder(directory: URL(fileURLWithPath: configuration.auditDirectory),
                                      keyPath: configuration.path(configuration.audit.privateKey),
                                      certificatePath: configuration.path(configuration.audit.certificate),
                                      limits: auditLimits, gatherSeconds: configuration.audit.gatherMilliseconds / 1000)
            if let recovery = audit?.log.recovery, recovery.segmentBytesDropped > 0 || recovery.checkpointBytesDropped > 0 {
                // Cut on open: a torn last write after a crash, or records no seal of this log authenticates.
                logger.warning("audit log recovered on open", metadata: [
                    "segment_bytes_cut": "\(recovery.segmentBytesDropped)", "reason": "\(recovery.segmentReason ?? "-")",
                    "checkpoint_bytes_cut": "\(recovery.checkpointBytesDropped)",
                ])
            }
        } else {
            audit = nil
        }
        var settings = Gateway.Settings()
        settings.timeWindowSeconds = configuration.timeWindowSeconds
        let verifierHolder = verifier
        gateway = Gateway(verifier: { verifierHolder.current }, signer: signer, engine: engine, settings: settings, audit: audit,
                          logger: logger, clock: clock)
        group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let trustHolder = trust
        server = try DirectLinkServer(
            tls: .init(certificateChainPath: configuration.path(configuration.tls.certificateChain),
                       privateKeyPath: configuration.path(configuration.tls.privateKey)),
            limits: configuration.limits.server, processor: GatewayProcessor(gateway: gateway),
            trust: { trustHolder.current }, group: group, threadPool: threadPool, logger: logger, clock: clock,
            corporations: Set(engine.configuration.seed.corporations.map(\.id)))
    }

    /// SIGHUP: reloads the CA bundle, the CRLs and the limit rules (`conf/engine/limits.json`) without dropping
    /// connections. Either both load or neither changes.
    public func reload() async throws {
        let engineConfiguration = try EngineConfiguration.load(directory: URL(fileURLWithPath: configuration.path(configuration.engine)))
        // Load the new store first, apply the limits (which may refuse them), and only then swap the store in.
        let store = try Self.loadTrust(configuration)
        try await engine.reloadLimits(engineConfiguration.limits)
        install(store)
        logger.notice("limit rules reloaded", metadata: ["rules": "\(engineConfiguration.limits.count)"])
    }

    /// Reloads the CA bundle and CRLs. Connections stay up; the next handshake and message use the new store,
    /// and cached chain validations die with the old store.
    public func reloadTrust() throws {
        install(try Self.loadTrust(configuration))
    }

    private func install(_ store: TrustStore) {
        trust.replace(with: store)
        verifier.replace(with: MessageVerifier(trust: store, schema: schema, limits: configuration.limits.xml))
        logger.notice("trust store and CRLs reloaded")
    }

    /// Connections open now (admitted, not yet closed).
    public var openConnections: Int { server.openConnections }

    /// Requests in flight across all connections: now, and the most at once since start.
    public var inFlight: (current: Int, peak: Int) { (server.inFlight, server.inFlightPeak) }

    /// Where the audit log is written, when it is enabled.
    public var auditDirectory: URL? { audit?.log.directory }

    /// The ports actually bound (listen, admin), once `run()` has started them.
    public func waitUntilStarted() async -> (listen: Int, admin: Int)? {
        for await ports in started.stream { return ports }
        return nil
    }

    public func run() async throws {
        // Whoever waits in waitUntilStarted() hears of a failed start too (nil).
        defer { started.continuation.finish() }
        let port: Int
        do {
            port = try await server.start(host: configuration.listen.host, port: configuration.listen.port)
        } catch {
            logger.critical("cannot listen", metadata: ["host": "\(configuration.listen.host)", "port": "\(configuration.listen.port)", "error": "\(error)"])
            await stopComponents()
            throw error
        }
        let admin = AdminServer(registry: Self.metricsRegistry) { [engine, server] in
            do {
                _ = try await engine.balances(corporation: "", accounts: [])
                return (true, "ok connections=\(server.openConnections) in_flight=\(server.inFlight)")
            } catch {
                return (false, "engine unavailable")
            }
        }
        let adminChannel: any Channel
        do {
            adminChannel = try await admin.start(host: configuration.admin.host, port: configuration.admin.port, group: group)
        } catch {
            logger.critical("cannot listen (admin)", metadata: ["port": "\(configuration.admin.port)", "error": "\(error)"])
            await server.shutdown()
            await stopComponents()
            throw error
        }
        self.adminChannel = adminChannel
        let adminPort = adminChannel.localAddress?.port ?? configuration.admin.port
        let storage = (try? engine.storageSettings()).map { "\($0.journalMode) synchronous=\($0.synchronous)" } ?? "unknown"
        logger.info("directlink listening", metadata: ["port": "\(port)", "admin": "\(adminPort)", "storage": "\(storage)"])
        started.continuation.yield((port, adminPort))
        let housekeeping = Task { [engine, configuration, logger] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(configuration.housekeepingEverySeconds))
                do { _ = try await engine.runHousekeeping() } catch { logger.error("housekeeping failed") }
            }
        }
        try? await gracefulShutdown()
        logger.notice("draining")
        housekeeping.cancel()
        await server.shutdown()
        try? await adminChannel.close()
        await stopComponents()
        logger.notice("stopped")
    }

    /// Closes the engine (its last group commit), signs the final audit checkpoint, stops the threads.
    private func stopComponents() async {
        engine.close()
        do {
            try audit?.close()
        } catch {
            logger.error("the final audit checkpoint failed", metadata: ["error": "\(error)"])
        }
        try? await group.shutdownGracefully()
        try? await threadPool.shutdownGracefully()
    }

    static func loadTrust(_ configuration: DaemonConfiguration) throws -> TrustStore {
        try TrustStore(caBundlePath: configuration.path(configuration.trust.caBundle), crlPaths: configuration.trust.crls.map(configuration.path))
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ServerConfigurationError("cannot read \(path)") }
        return [UInt8](data)
    }
}

/// Adapts the gateway to the transport.
struct GatewayProcessor: FrameProcessor {
    let gateway: Gateway

    func process(_ frame: [UInt8], connection: ConnectionInfo) async -> [UInt8]? {
        await gateway.handle(frame, context: Self.context(connection))
    }

    func unreadable(_ received: [UInt8], response: [UInt8], code: RetCode, correlationId: String, connection: ConnectionInfo) async -> Bool {
        await gateway.recordUnreadable(received, response: response, retCode: code.rawValue, correlationId: correlationId,
                                       context: Self.context(connection))
    }

    static func context(_ connection: ConnectionInfo) -> RequestContext {
        RequestContext(connectionId: connection.id, tlsCorpId: connection.corpId, tlsPeerFingerprint: connection.peer.identity.fingerprintSHA256)
    }
}

/// The engine sees the same clock as the gateway and the TLS checks (tests and replays fix it).
struct DaemonClock: EngineClock {
    let now: @Sendable () -> Date

    func nowEpochSeconds() -> Int64 {
        Int64(now().timeIntervalSince1970.rounded(.down))
    }
}
