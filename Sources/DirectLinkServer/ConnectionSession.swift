import DirectLinkCrypto
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOTLS

/// Per-connection state shared by the TLS verification callback and the handlers of one channel.
/// Confined to the channel's event loop except `peer`, which the callback sets on the loop before the handshake ends.
final class ConnectionSession: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    let id: UInt64
    let server: DirectLinkServer
    var peer: ValidatedChain?
    var corpId: String?
    private var bound = false
    private var handshakeTimer: Scheduled<Void>?

    init(id: UInt64, server: DirectLinkServer) {
        self.id = id
        self.server = server
    }

    /// The TLS client-certificate check: the same trust store and CRLs as message signatures, run off the event loop.
    func verifyPeer(_ certificates: [NIOSSLCertificate], promise: EventLoopPromise<NIOSSLVerificationResult>) {
        let eventLoop = promise.futureResult.eventLoop
        let trust = server.trust()
        let ders = certificates.compactMap { try? $0.toDERBytes() }
        let now = server.clock()
        server.threadPool.runIfActive(eventLoop: eventLoop) { () throws -> ValidatedChain in
            guard let leaf = ders.first, ders.count == certificates.count else {
                throw CryptoError(.malformedCertificate, "no client certificate")
            }
            return try trust.validate(leafDER: leaf, intermediatesDER: Array(ders.dropFirst()), at: now)
        }.whenComplete { result in
            switch result {
            case .success(let chain):
                guard let corp = chain.leaf.subjectAttribute("OU"), !corp.isEmpty else {
                    self.server.tlsRejected(reason: "client certificate has no OU (CorpId)")
                    promise.succeed(.failed)
                    return
                }
                self.peer = chain
                self.corpId = corp
                promise.succeed(.certificateVerified)
            case .failure(let error):
                self.server.tlsRejected(reason: "\(error)")
                promise.succeed(.failed)
            }
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        handshakeTimer = context.eventLoop.scheduleTask(in: .milliseconds(Int64(server.limits.handshakeTimeoutMs))) {
            loopBound.value.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            handshakeTimer?.cancel()
            guard let corpId, let peer, server.registry.bind(corpId: corpId) else {
                server.logger.warning("connection refused: corporation at its connection limit", metadata: ["corp": "\(corpId ?? "?")"])
                context.close(promise: nil)
                return
            }
            bound = true
            let remote = context.remoteAddress?.description ?? "?"
            do {
                try context.pipeline.syncOperations.addHandler(
                    FramingSniffer(frameReadTimeout: .milliseconds(Int64(server.limits.frameReadTimeoutMs))) { framing, sniffer in
                        let info = ConnectionInfo(id: self.id, remoteAddress: remote, peer: peer, corpId: corpId, framing: framing)
                        try self.server.installFraming(framing, connection: info, after: sniffer)
                    },
                    position: .after(self)
                )
            } catch {
                context.close(promise: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        server.registry.closeConnection(corpId: bound ? corpId : nil)
        server.connectionClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if error is NIOSSLError || error is BoringSSLError {
            server.tlsRejected(reason: "\(error)")
        }
        context.close(promise: nil)
    }
}
