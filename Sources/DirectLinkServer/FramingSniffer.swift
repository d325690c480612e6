import NIOCore
import NIOHTTP1

/// Looks at the first bytes of a connection's plaintext and installs the framing they announce:
/// eight ASCII digits → classic length-prefixed frames; an HTTP method → HTTP/1.1. Anything else is unreadable.
final class FramingSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let httpMethods = ["POST", "GET ", "PUT ", "HEAD", "DELE", "OPTI", "PATC", "TRAC", "CONN"]

    private var buffered: ByteBuffer?
    private let install: (ConnectionInfo.Framing, ChannelHandlerContext) throws -> Void
    private let frameReadTimeout: TimeAmount
    private var timer: Scheduled<Void>?

    /// `install` adds the framing handlers after this one; the sniffer then forwards what it read and removes itself.
    init(frameReadTimeout: TimeAmount, install: @escaping (ConnectionInfo.Framing, ChannelHandlerContext) throws -> Void) {
        self.frameReadTimeout = frameReadTimeout
        self.install = install
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffered == nil {
            buffered = incoming
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: frameReadTimeout) {
                let (sniffer, context) = bound.value
                sniffer.timedOut(context: context)
            }
        } else {
            buffered?.writeBuffer(&incoming)
        }
        guard let bytes = buffered, let framing = decide(bytes) else { return }
        timer?.cancel()
        do {
            try install(framing, context)
        } catch {
            context.fireErrorCaught(error)
            return
        }
        buffered = nil
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Too few bytes to tell the framing arrived within `frameReadTimeout`: the classic handlers are installed so
    /// that the dispatcher records the bytes, answers with the plain FRAME.TIMEOUT error and closes. (An error fired
    /// with no framing installed would reach the end of the pipeline and leave the connection open.)
    private func timedOut(context: ChannelHandlerContext) {
        guard let bytes = buffered else { return }
        buffered = nil
        do {
            try install(.classic, context)
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(FrameError(code: .frameTimeout, reason: "first frame not completed in time",
                                           received: Array(bytes.readableBytesView)))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// nil while more bytes are needed to decide. Throws nothing: an unknown start is reported as a classic frame
    /// error by installing the classic decoder, which rejects it with FRAME.MALFORMED.
    private func decide(_ bytes: ByteBuffer) -> ConnectionInfo.Framing? {
        guard let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) else { return nil }
        if first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z") {
            guard let start = bytes.getString(at: bytes.readerIndex, length: 4) else { return nil }
            return Self.httpMethods.contains(start) ? .http : .classic
        }
        return .classic
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }
}

extension FramingSniffer: @unchecked Sendable {}
