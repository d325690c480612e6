import DirectLinkCrypto
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The mutual-TLS listener: admits connections within the limits, checks client certificates with the bank's trust
/// store, detects the framing, and hands frames to a `FrameProcessor`. Quiesces on shutdown: stops accepting,
/// lets in-flight requests finish and be written, then closes.
public final class DirectLinkServer: @unchecked Sendable {
    public struct TLSFiles: Sendable {
        public var certificateChainPath: String
        public var privateKeyPath: String
        public init(certificateChainPath: String, privateKeyPath: String) {
            self.certificateChainPath = certificateChainPath
            self.privateKeyPath = privateKeyPath
        }
    }

    let limits: ServerLimits
    let registry: ConnectionRegistry
    let threadPool: NIOThreadPool
    let logger: Logger
    let trust: @Sendable () -> TrustStore
    let clock: @Sendable () -> Date
    /// The corporations in the engine's registry: a client certificate whose OU names another is refused in the
    /// handshake (nil: any OU; tests that run without an engine).
    let corporations: Set<String>?
    let tracker = InFlightTracker()
    private let processor: any FrameProcessor
    private let sslContext: NIOSSLContext
    private let group: any EventLoopGroup
    private let lock = NSLock()
    private var serverChannel: (any Channel)?
    private var children: [ObjectIdentifier: any Channel] = [:]
    private let tlsFailures = Counter(label: "directlink_tls_handshake_failures_total")
    private let connectionsGauge = Gauge(label: "directlink_connections")

    public init(
        tls: TLSFiles, limits: ServerLimits, processor: any FrameProcessor, trust: @escaping @Sendable () -> TrustStore,
        group: any EventLoopGroup, threadPool: NIOThreadPool, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
        corporations: Set<String>? = nil
    ) throws {
        self.corporations = corporations
        self.limits = try limits.validated()
        self.registry = ConnectionRegistry(limits: limits)
        self.processor = processor
        self.trust = trust
        self.group = group
        self.threadPool = threadPool
        self.logger = logger
        self.clock = clock
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChainPath)
        let key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        // Require a client certificate; the custom callback replaces BoringSSL's chain check with ours.
        configuration.certificateVerification = .noHostnameVerification
        self.sslContext = try NIOSSLContext(configuration: configuration)
    }

    /// Binds and starts accepting. Returns the bound port (useful with port 0 in tests).
    @discardableResult
    public func start(host: String, port: Int) async throws -> Int {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.initialize(channel) }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        lock.withLock { serverChannel = channel }
        return channel.localAddress?.port ?? port
    }

    private func initialize(_ channel: any Channel) throws {
        guard let id = registry.openConnection() else {
            logger.warning("connection refused: connectionsMax reached")
            channel.close(promise: nil)
            return
        }
        connectionsGauge.record(registry.openCount)
        lock.withLock { children[ObjectIdentifier(channel)] = channel }
        let session = ConnectionSession(id: id, server: self)
        let tls = NIOSSLServerHandler(context: sslContext) { certificates, promise in
            session.verifyPeer(certificates, promise: promise)
        }
        let idle = IdleStateHandler(allTimeout: .milliseconds(Int64(limits.idleTimeoutMs)))
        try channel.pipeline.syncOperations.addHandlers([tls, idle, IdleCloser(), session])
        channel.closeFuture.whenComplete { [self] _ in
            lock.withLock { _ = children.removeValue(forKey: ObjectIdentifier(channel)) }
        }
    }

    /// Adds the handlers of `framing` after `context`'s handler.
    func installFraming(_ framing: ConnectionInfo.Framing, connection: ConnectionInfo, after context: ChannelHandlerContext) throws {
        let timeout = TimeAmount.milliseconds(Int64(limits.frameReadTimeoutMs))
        let work = ConnectionWork(inFlightMax: limits.inFlightPerConnectionMax)
        let dispatcher = FrameDispatcher(processor: processor, connection: connection, work: work, tracker: tracker)
        let pipeline = context.pipeline.syncOperations
        switch framing {
        case .classic:
            try pipeline.addHandlers([
                ByteToMessageHandler(ClassicFrameDecoder(frameBytesMax: limits.frameBytesMax, frameReadTimeout: timeout, work: work)),
                MessageToByteHandler(ClassicFrameEncoder()),
                dispatcher,
            ], position: .after(context.handler))
        case .http:
            let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes))
            let requestGuard = HTTPRequestGuard(headBytesMax: limits.httpHeadBytesMax, readTimeout: timeout, work: work) { [processor] received, response, code, correlationId in
                await processor.unreadable(received, response: response, code: code, correlationId: correlationId, connection: connection)
            }
            let guarded = requestGuard.handlers
            try pipeline.addHandlers([
                guarded.bytes,
                decoder,
                guarded.parts,
                HTTPResponseEncoder(),
                HTTPServerPipelineHandler(),
                HTTPFrameBridge(frameBytesMax: limits.frameBytesMax, requestGuard: requestGuard),
                dispatcher,
            ], position: .after(context.handler))
        }
    }

    func tlsRejected(reason: String) {
        tlsFailures.increment()
        logger.notice("TLS client rejected", metadata: ["reason": "\(reason)"])
    }

    func connectionClosed() {
        connectionsGauge.record(registry.openCount)
    }

    public var openConnections: Int { registry.openCount }
    public var inFlight: Int { tracker.current }
    public var inFlightPeak: Int { tracker.peak }

    /// Stops accepting, lets every connection finish what it has read, then closes them (after `drainTimeoutMs` at
    /// the latest).
    public func shutdown() async {
        let (server, open) = lock.withLock { (serverChannel, Array(children.values)) }
        try? await server?.close()
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let drained = await withTaskGroup(of: Bool.self) { group in
            group.addTask { [tracker] in await tracker.waitUntilIdle(); return true }
            group.addTask { [limits] in try? await Task.sleep(for: .milliseconds(limits.drainTimeoutMs)); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !drained { logger.warning("drain timeout: closing connections with requests in flight") }
        // Connections close themselves once their last response is written; give them a moment to, then close the rest.
        let closing = lock.withLock { Array(children.values) }
        _ = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for channel in closing { try? await channel.closeFuture.get() }
                return true
            }
            group.addTask { try? await Task.sleep(for: .seconds(2)); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        let remaining = lock.withLock { Array(children.values) }
        for channel in remaining { try? await channel.close() }
    }
}

/// Closes a connection that has been silent for `idleTimeoutMs`.
final class IdleCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
