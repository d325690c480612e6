import DirectLinkMessage
import NIOCore
import NIOHTTP1

/// Bounds each HTTP request before NIO's decoder has made anything of it: the request head to `headBytesMax`
/// bytes, and the time from a request's first byte to its end to `readTimeout` (the slow-loris guard).
///
/// The decoder reports a request only once its whole head has been parsed, so a handler after it cannot see a head
/// that arrives a byte at a time, nor how long it is. Two handlers share this state: `Bytes` sits before the
/// decoder and counts and times raw bytes; `Parts` sits right after it — before `HTTPServerPipelineHandler`, which
/// holds back pipelined requests — and marks where a head and a request end. Both run on the channel's event loop.
///
/// Bytes of the next pipelined request that arrive in the same read as the end of the current one are neither
/// counted nor timed until more bytes arrive; a client that then falls silent is closed by the idle timeout.
final class HTTPRequestGuard {
    enum Violation {
        case headTooLarge(limit: Int)
        case timeout
    }

    private let headBytesMax: Int
    private let readTimeout: TimeAmount
    private var inRequest = false
    private var awaitingHead = true
    private var headBytes = 0
    private var timer: Scheduled<Void>?
    private var violated = false

    init(headBytesMax: Int, readTimeout: TimeAmount) {
        self.headBytesMax = headBytesMax
        self.readTimeout = readTimeout
    }

    /// The handlers to install: `bytes` before the HTTP decoder, `parts` right after it.
    var handlers: (bytes: Bytes, parts: Parts) { (Bytes(self), Parts(self)) }

    private func received(_ count: Int, context: ChannelHandlerContext) {
        guard !violated else { return }
        if !inRequest {
            inRequest = true
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: readTimeout) {
                let (state, context) = bound.value
                state.report(.timeout, context: context)
            }
        }
        if awaitingHead { headBytes += count }
    }

    /// Called after the read went through the decoder: a head still incomplete past the limit is refused.
    private func checkHead(context: ChannelHandlerContext) {
        if awaitingHead, headBytes > headBytesMax { report(.headTooLarge(limit: headBytesMax), context: context) }
    }

    private func headEnded() {
        awaitingHead = false
        headBytes = 0
    }

    private func requestEnded() {
        timer?.cancel()
        timer = nil
        inRequest = false
        awaitingHead = true
        headBytes = 0
    }

    /// Answers with a plain error and closes. The response is written here, below the HTTP encoder, as bytes:
    /// `HTTPServerPipelineHandler` refuses a response while no request head has reached it.
    private func report(_ violation: Violation, context: ChannelHandlerContext) {
        guard !violated else { return }
        violated = true
        timer?.cancel()
        timer = nil
        let response: [UInt8]
        switch violation {
        case .headTooLarge(let limit):
            response = HTTPFrameBridge.plainErrorResponse(status: .requestHeaderFieldsTooLarge, code: .frameTooLarge,
                                                          reason: "HTTP request head larger than \(limit) bytes")
        case .timeout:
            response = HTTPFrameBridge.plainErrorResponse(status: .requestTimeout, code: .frameTimeout, reason: "request not completed in time")
        }
        context.writeAndFlush(NIOAny(ByteBuffer(bytes: response))).whenComplete { [channel = context.channel] _ in
            channel.close(promise: nil)
        }
    }

    private func stop() {
        timer?.cancel()
        timer = nil
        violated = true
    }

    final class Bytes: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        private let state: HTTPRequestGuard

        init(_ state: HTTPRequestGuard) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            state.received(unwrapInboundIn(data).readableBytes, context: context)
            context.fireChannelRead(data)
            state.checkHead(context: context)
        }

        func handlerRemoved(context: ChannelHandlerContext) { state.stop() }
    }

    final class Parts: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        private let state: HTTPRequestGuard

        init(_ state: HTTPRequestGuard) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head: state.headEnded()
            case .body: break
            case .end: state.requestEnded()
            }
            context.fireChannelRead(data)
        }
    }
}

extension HTTPRequestGuard.Bytes: @unchecked Sendable {}
extension HTTPRequestGuard.Parts: @unchecked Sendable {}
