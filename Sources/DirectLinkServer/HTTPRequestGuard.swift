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
/// Bytes of the next pipelined request that arrive in the same read as the end of the current one start that request
/// at once (counted, measured and timed): a request's length is its head plus its Content-Length body. After a
/// chunked request (its length on the wire is not known here) such bytes are timed only once more bytes arrive, and
/// CR/LF bytes alone between requests (which some clients send after a body) start nothing.
/// While a response is outstanding the timer waits (the pipeline handler reads nothing more until it is written),
/// and a refusal is written only after the responses before it, so a client never matches it to an earlier request.
/// Once a request is refused, nothing more is read from the connection.
final class HTTPRequestGuard {
    enum Violation {
        case headTooLarge(limit: Int)
        case timeout
    }

    private let headBytesMax: Int
    private let readTimeout: TimeAmount
    private let record: @Sendable (_ received: [UInt8], _ response: [UInt8], _ code: RetCode, _ correlationId: String) async -> Bool
    private let work: ConnectionWork
    /// The raw bytes of the request being read (head and body as they arrived), for the audit record of a refusal.
    private var raw: [UInt8] = []
    private var bytesContext: ChannelHandlerContext?
    private var inRequest = false
    private var awaitingHead = true
    private var headBytes = 0
    /// The current request's head length (from `raw`) and the body bytes the decoder passed on, once its head is
    /// known; nil for a chunked body, whose framing bytes the decoder strips.
    private var requestBytes: Int?
    private var timer: Scheduled<Void>?
    /// The timer found a response outstanding (see `armTimer`).
    private var deferred = false
    private var violated = false
    /// Requests whose end passed the decoder (before a refusal): the ordinal of the request being read.
    private var endedRequests = 0
    /// The ordinal of the refused request: those before it are still executed and answered, in order, first.
    private var refusedOrdinal: Int?

    /// `record` writes a refused request's bytes and the plain error to the audit log and returns false when it
    /// could not (the error is then not sent).
    init(headBytesMax: Int, readTimeout: TimeAmount, work: ConnectionWork,
         record: @escaping @Sendable (_ received: [UInt8], _ response: [UInt8], _ code: RetCode, _ correlationId: String) async -> Bool) {
        self.headBytesMax = headBytesMax
        self.readTimeout = readTimeout
        self.work = work
        self.record = record
    }

    /// A request was refused: it and everything after it are ignored.
    var isRefused: Bool { violated }

    /// Whether the request with this ordinal (0 = the connection's first) may still run: it ended before the refusal.
    func mayRun(_ ordinal: Int) -> Bool { refusedOrdinal.map { ordinal < $0 } ?? true }

    /// The handlers to install: `bytes` before the HTTP decoder, `parts` right after it.
    var handlers: (bytes: Bytes, parts: Parts) { (Bytes(self), Parts(self)) }

    private func received(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        guard !violated else { return }
        let count = bytes.readableBytes
        raw += bytes.readableBytesView
        if !inRequest {
            inRequest = true
            armTimer(context: context)
        }
        if awaitingHead { headBytes += count }
    }

    private func armTimer(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: readTimeout) {
            let (state, context) = bound.value
            guard !state.violated else { return }
            if state.work.responsesOutstanding || state.deferred {
                // Nothing more is read until the earlier response is written: not the client's delay. Once it is,
                // the client gets one more full period.
                state.deferred = state.work.responsesOutstanding
                state.armTimer(context: context)
            } else {
                state.report(.timeout)
            }
        }
    }

    /// Called after the read went through the decoder: a head still incomplete past the limit is refused.
    private func checkHead() {
        if awaitingHead, headBytes > headBytesMax { report(.headTooLarge(limit: headBytesMax)) }
    }

    /// The decoder has the whole head: measured exactly in the raw bytes (a head that arrived in one read was never
    /// counted). Returns false when it is over the limit (the request is refused).
    private func headEnded(_ head: HTTPRequestHead) -> Bool {
        awaitingHead = false
        headBytes = 0
        let end = Self.headEnd(in: raw)
        if let end, end > headBytesMax {
            reject(status: .requestHeaderFieldsTooLarge, code: .frameTooLarge, reason: "HTTP request head larger than \(headBytesMax) bytes")
            return false
        }
        let chunked = head.headers[canonicalForm: "transfer-encoding"].contains { $0.lowercased() == "chunked" }
        requestBytes = chunked ? nil : end
        return true
    }

    private func bodyReceived(_ bytes: Int) {
        requestBytes = requestBytes.map { $0 + bytes }
    }

    /// Where the first CRLF CRLF ends, if the bytes hold one.
    static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index] == 0x0A && bytes[index - 1] == 0x0D && bytes[index - 2] == 0x0A && bytes[index - 3] == 0x0D {
            return index + 1
        }
        return nil
    }

    private func requestEnded(context: ChannelHandlerContext) {
        endedRequests += 1
        timer?.cancel()
        timer = nil
        deferred = false
        // What this read brought beyond the request that ended is the start of the next one.
        let next = requestBytes.map { raw.count > $0 ? Array(raw[$0...]) : [] } ?? []
        requestBytes = nil
        raw = []
        inRequest = false
        awaitingHead = true
        headBytes = 0
        if next.contains(where: { $0 != 0x0D && $0 != 0x0A }) {
            raw = next
            inRequest = true
            headBytes = next.count
            armTimer(context: context)
        }
    }

    private func report(_ violation: Violation) {
        switch violation {
        case .headTooLarge(let limit):
            reject(status: .requestHeaderFieldsTooLarge, code: .frameTooLarge, reason: "HTTP request head larger than \(limit) bytes")
        case .timeout:
            reject(status: .requestTimeout, code: .frameTimeout, reason: "request not completed in time")
        }
    }

    /// Refuses a request — by default the one being read; `HTTPFrameBridge` names the one it refuses — : its raw bytes
    /// and the plain error go to the audit log, then, once every request before it is answered, the error is written —
    /// here, below the HTTP encoder, as bytes, since `HTTPServerPipelineHandler` refuses a response while no request
    /// head has reached it — and the connection closes.
    func reject(status: HTTPResponseStatus, code: RetCode, reason: String, ordinal: Int? = nil) {
        guard !violated, let context = bytesContext else { return }
        violated = true
        let refused = ordinal ?? endedRequests
        refusedOrdinal = refused
        timer?.cancel()
        timer = nil
        let frameError = FrameError(code: code, reason: reason)
        let payload = frameError.payload
        let response = HTTPFrameBridge.plainErrorResponse(status: status, code: code, correlationId: frameError.correlationId, payload: payload)
        let (received, record) = (raw, self.record)
        raw = []
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        // Behind every response owed on this connection: the requests before the refused one, including any the
        // pipeline handler still holds (they run; nothing after the refused one does).
        work.whenAnswered(refused) { Task {
            let recorded = await record(received, payload, code, frameError.correlationId)
            eventLoop.execute {
                let context = bound.value
                guard recorded else {
                    context.close(promise: nil)
                    return
                }
                context.writeAndFlush(NIOAny(ByteBuffer(bytes: response))).whenComplete { [channel = context.channel] _ in
                    channel.close(promise: nil)
                }
            }
        } }
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

        func handlerAdded(context: ChannelHandlerContext) { state.bytesContext = context }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !state.violated else { return }
            state.received(unwrapInboundIn(data), context: context)
            context.fireChannelRead(data)
            state.checkHead()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            state.stop()
            state.bytesContext = nil
        }
    }

    final class Parts: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        private let state: HTTPRequestGuard

        init(_ state: HTTPRequestGuard) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !state.violated else { return }
            switch unwrapInboundIn(data) {
            case .head(let head): guard state.headEnded(head) else { return }
            case .body(let body): state.bodyReceived(body.readableBytes)
            case .end: state.requestEnded(context: context)
            }
            context.fireChannelRead(data)
        }
    }
}

extension HTTPRequestGuard.Bytes: @unchecked Sendable {}
extension HTTPRequestGuard.Parts: @unchecked Sendable {}
