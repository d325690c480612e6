import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A direct-link client over mutual TLS, for `directlink send`, `bench load`, `replay --server` and the tests.
/// Requests may be pipelined; responses come back in request order.
public final class DirectLinkClient: @unchecked Sendable {
    public struct Credentials: Sendable {
        public var certificatePath: String
        public var privateKeyPath: String
        public var trustedCAPath: String
        public init(certificatePath: String, privateKeyPath: String, trustedCAPath: String) {
            self.certificatePath = certificatePath
            self.privateKeyPath = privateKeyPath
            self.trustedCAPath = trustedCAPath
        }
    }

    public enum Framing: Sendable { case classic, http }

    public struct ClientError: Error, CustomStringConvertible {
        public let description: String
    }

    let channel: any Channel
    let handler: ResponseQueue

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    private init(channel: any Channel, handler: ResponseQueue) {
        self.channel = channel
        self.handler = handler
    }

    /// `serverName` is the name the bank's TLS certificate must carry; nil checks it for `host`: its DNS name, or for an
    /// IP literal its IP address (an IP cannot be sent as SNI).
    public static func connect(host: String, port: Int, credentials: Credentials, framing: Framing = .classic,
                               group: any EventLoopGroup, serverName: String? = nil) async throws -> DirectLinkClient {
        let serverName = serverName ?? (Self.isIPAddress(host) ? nil : host)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.trustRoots = .file(credentials.trustedCAPath)
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(credentials.certificatePath).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: credentials.privateKeyPath, format: .pem))
        let context = try NIOSSLContext(configuration: tls)
        let queue = ResponseQueue()
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
                    try sync.addHandler(RawTap())
                    switch framing {
                    case .classic:
                        try sync.addHandlers([
                            ByteToMessageHandler(ClassicFrameDecoder(frameBytesMax: 64 << 20, frameReadTimeout: .seconds(60))),
                            MessageToByteHandler(ClassicFrameEncoder()),
                        ])
                    case .http:
                        try sync.addHTTPClientHandlers()
                        try sync.addHandler(HTTPClientFraming())
                    }
                    try sync.addHandler(queue)
                }
            }
            .connect(host: host, port: port).get()
        return DirectLinkClient(channel: channel, handler: queue)
    }

    /// Sends one payload and returns the response payload (for a framing error, the plain `FrameError` payload).
    public func send(_ payload: [UInt8]) async throws -> [UInt8] {
        let promise = channel.eventLoop.makePromise(of: [UInt8].self)
        channel.eventLoop.execute { [handler, channel] in
            handler.enqueue(payload, promise: promise, channel: channel)
        }
        return try await promise.futureResult.get()
    }

    /// Sends raw bytes with no framing at all, straight into TLS (tests of malformed frames), and returns the next
    /// frame the server sends (a plain `FrameError` before it closes), or throws when it closes without one.
    public func sendRaw(_ bytes: [UInt8]) async throws -> [UInt8] {
        let promise = channel.eventLoop.makePromise(of: [UInt8].self)
        channel.eventLoop.execute { [handler, channel] in
            handler.expect(promise: promise)
            do {
                // Written from the tap right after TLS, so the bytes are encrypted but never framed.
                let tap = try channel.pipeline.syncOperations.context(handlerType: RawTap.self)
                tap.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)), promise: nil)
            } catch {
                promise.fail(error)
            }
        }
        return try await promise.futureResult.get()
    }

    public func close() async {
        try? await channel.close()
    }

    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }
}

/// FIFO of outstanding requests on one connection.
final class ResponseQueue: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = InboundFrame
    typealias OutboundIn = Never
    typealias OutboundOut = OutboundFrame

    private var waiting: [EventLoopPromise<[UInt8]>] = []
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func enqueue(_ payload: [UInt8], promise: EventLoopPromise<[UInt8]>, channel: any Channel) {
        guard let context, channel.isActive else {
            promise.fail(DirectLinkClient.ClientError(description: "connection closed"))
            return
        }
        waiting.append(promise)
        context.writeAndFlush(wrapOutboundOut(OutboundFrame(bytes: payload)), promise: nil)
    }

    /// Waits for the next frame without sending anything.
    func expect(promise: EventLoopPromise<[UInt8]>) {
        waiting.append(promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        // A frame nobody asked for (the server's FrameError before it closes) is dropped.
        guard !waiting.isEmpty else { return }
        waiting.removeFirst().succeed(frame.bytes)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error = DirectLinkClient.ClientError(description: "connection closed by the server")
        waiting.forEach { $0.fail(error) }
        waiting = []
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        waiting.forEach { $0.fail(error) }
        waiting = []
        context.close(promise: nil)
    }
}

/// HTTP/1.1 on the client side: each frame is a `POST /directlink`; each response body is a frame.
final class HTTPClientFraming: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = InboundFrame
    typealias OutboundIn = OutboundFrame
    typealias OutboundOut = HTTPClientRequestPart

    private var body: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: body = []
        case .body(var chunk): body.append(contentsOf: chunk.readBytes(length: chunk.readableBytes) ?? [])
        case .end:
            context.fireChannelRead(wrapInboundOut(InboundFrame(bytes: body)))
            body = []
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let payload = unwrapOutboundIn(data).bytes
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/directlink")
        head.headers.add(name: "Host", value: "localhost")
        head.headers.add(name: "Content-Type", value: "application/xml")
        head.headers.add(name: "Content-Length", value: "\(payload.count)")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: payload)))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }
}

/// A pass-through right after TLS: `sendRaw` writes from here to put unframed bytes on the wire.
final class RawTap: ChannelDuplexHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
}
