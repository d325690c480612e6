import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// The loopback admin listener: `GET /healthz` and `GET /metrics` (Prometheus text format).
final class AdminServer: Sendable {
    let registry: PrometheusCollectorRegistry
    let health: @Sendable () async -> (healthy: Bool, detail: String)

    init(registry: PrometheusCollectorRegistry, health: @escaping @Sendable () async -> (healthy: Bool, detail: String)) {
        self.registry = registry
        self.health = health
    }

    func start(host: String, port: Int, group: any EventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(server: self))
                }
            }
            .bind(host: host, port: port).get()
    }
}

final class AdminHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: AdminServer
    private var uri = ""

    init(server: AdminServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            uri = head.uri
        case .body:
            break
        case .end:
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let uri = self.uri
            let server = self.server
            Task {
                let (status, body, type) = await Self.answer(uri, server: server)
                bound.eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.respond(context: context, status: status, body: body, type: type)
                }
            }
        }
    }

    static func answer(_ uri: String, server: AdminServer) async -> (HTTPResponseStatus, String, String) {
        switch uri {
        case "/healthz":
            let (healthy, detail) = await server.health()
            return (healthy ? .ok : .serviceUnavailable, detail + "\n", "text/plain")
        case "/metrics":
            var buffer: [UInt8] = []
            server.registry.emit(into: &buffer)
            return (.ok, String(decoding: buffer, as: UTF8.self), "text/plain; version=0.0.4")
        default:
            return (.notFound, "not found\n", "text/plain")
        }
    }

    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, body: String, type: String) {
        let bytes = ByteBuffer(string: body)
        let headers = HTTPHeaders([("Content-Type", type), ("Content-Length", "\(bytes.readableBytes)")])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
