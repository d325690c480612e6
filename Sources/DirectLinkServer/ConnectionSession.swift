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
    private var handshakeCompleted = false
    /// This connection's handshake failure is already counted (the refusal in `verifyPeer` is followed by NIO's
    /// handshake error: one failure, counted once).
    private var failureCounted = false

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
                    self.refuse("client certificate has no OU (CorpId)")
                    promise.succeed(.failed)
                    return
                }
                if let known = self.server.corporations, !known.contains(corp) {
                    self.refuse("client certificate names corporation \(corp), which is not in the engine's registry")
                    promise.succeed(.failed)
                    return
                }
                self.peer = chain
                self.corpId = corp
                promise.succeed(.certificateVerified)
            case .failure(let error):
                self.refuse("\(error)")
                promise.succeed(.failed)
            }
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        handshakeTimer = context.eventLoop.scheduleTask(in: .milliseconds(Int64(server.limits.handshakeTimeoutMs))) { [self] in
            refuse("handshake not completed within \(server.limits.handshakeTimeoutMs) ms")
            loopBound.value.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            handshakeCompleted = true
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
        // After the handshake a TLS error is not a handshake failure (a client closing without close_notify, say).
        if !handshakeCompleted, error is NIOSSLError || error is BoringSSLError {
            refuse("\(error)")
        }
        context.close(promise: nil)
    }

    /// Counts and logs this connection's failed handshake, once. Event loop only.
    private func refuse(_ reason: String) {
        guard !failureCounted else { return }
        failureCounted = true
        server.tlsRejected(reason: reason)
    }
}
