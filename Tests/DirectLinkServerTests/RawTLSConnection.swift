import DirectLinkXML
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A mutual-TLS connection that writes bytes exactly as given and keeps every byte the daemon sends until it
/// closes: for frames no well-behaved client would send. (`DirectLinkClient.sendRaw` writes raw bytes too, but its
/// response queue drops any frame no request is waiting for, so the daemon's `FrameError` cannot be read with it.)
final class RawTLSConnection: @unchecked Sendable {
    let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func open(port: Int, as certificate: String = "corpa-client") async throws -> RawTLSConnection {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(Repository.pki("ca-bundle.pem"))
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(Repository.pki("\(certificate).pem")).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: Repository.pki("\(certificate).key"), format: .pem))
        let context = try NIOSSLContext(configuration: tls)
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawTLSConnection(channel: channel, collector: collector)
    }

    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Every byte received so far.
    var received: [UInt8] { collector.bytes }

    /// Waits for the daemon to close the connection; false if it is still open after `timeout`.
    func closedByPeer(within timeout: Duration) async -> Bool {
        await completes(channel.closeFuture, within: timeout)
    }

    func close() async {
        try? await channel.close()
    }

    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        private let lock = NSLock()
        private var buffer: [UInt8] = []

        var bytes: [UInt8] { lock.withLock { buffer } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            let chunk = incoming.readBytes(length: incoming.readableBytes) ?? []
            lock.withLock { buffer.append(contentsOf: chunk) }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }
}

/// The daemon's plain (unsigned) answer to an unreadable frame, as read off the wire.
struct PlainFrameError {
    let retCode: String
    let correlationId: String?

    /// A classic frame: 8 ASCII digits, then a `FrameError` document of exactly that many bytes, and nothing after.
    init(classic bytes: [UInt8]) throws {
        guard bytes.count > 8, let length = Int(String(decoding: bytes.prefix(8), as: UTF8.self)), length == bytes.count - 8 else {
            throw HarnessFailure("not one classic frame: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        try self.init(xml: Array(bytes.dropFirst(8)))
    }

    init(xml: [UInt8]) throws {
        let document = try XMLDocument.parse(xml)
        guard document.root.isNamed("FrameError", in: "urn:directlink:1"),
              let code = document.root.child("RetCode", in: "urn:directlink:1")?.text else {
            throw HarnessFailure("not a FrameError: \(String(decoding: xml, as: UTF8.self))")
        }
        retCode = code
        correlationId = document.root.child("CorrelationId", in: "urn:directlink:1")?.text
    }
}

/// `payload` with the classic 8-digit length prefix.
func classicFrame(_ payload: [UInt8]) -> [UInt8] {
    let length = String(payload.count)
    return Array((String(repeating: "0", count: max(0, 8 - length.count)) + length).utf8) + payload
}

/// Splits classic frames (8-digit length, payload) off the front of `bytes`; the rest is an incomplete frame.
func classicFrames(in bytes: [UInt8]) -> [[UInt8]] {
    var frames: [[UInt8]] = []
    var rest = bytes[...]
    while rest.count >= 8, let length = Int(String(decoding: rest.prefix(8), as: UTF8.self)), rest.count >= 8 + length {
        frames.append(Array(rest.dropFirst(8).prefix(length)))
        rest = rest.dropFirst(8 + length)
    }
    return frames
}
