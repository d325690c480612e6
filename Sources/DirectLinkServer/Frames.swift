import DirectLinkGateway
import DirectLinkMessage
import NIOCore

/// One complete request payload, as cut from the byte stream by either framing.
struct InboundFrame {
    let bytes: [UInt8]
}

/// One complete response payload, to be framed by the connection's framing.
struct OutboundFrame {
    let bytes: [UInt8]
}

/// Why the byte stream itself could not be read. These close the connection after a plain (unsigned) error frame,
/// because no message could be read to answer with a signed response.
struct FrameError: Error {
    let code: RetCode
    let reason: String
    /// The bytes of the unreadable frame as far as they arrived (what the audit log records as received).
    var received: [UInt8] = []
    /// Sent in the error, written in the log line and the audit record.
    let correlationId = Gateway.correlationId()

    init(code: RetCode, reason: String, received: [UInt8] = []) {
        self.code = code
        self.reason = reason
        self.received = received
    }

    /// The plain error frame: a tiny unsigned XML document, documented in Schemas/README.md (`FrameError`).
    var payload: [UInt8] {
        let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <FrameError xmlns="urn:directlink:1"><RetCode>\(code.rawValue)</RetCode><RetMsg>\(code.messageZh)</RetMsg>\
        <RetMsgEn>\(code.messageEn): \(reason.xmlEscaped)</RetMsgEn>\
        <CorrelationId>\(correlationId)</CorrelationId></FrameError>
        """
        return Array(xml.utf8)
    }
}

extension String {
    var xmlEscaped: String {
        var out = ""
        out.reserveCapacity(count)
        for character in self {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}

/// The classic bank host framing: 8 ASCII decimal digits giving the payload's byte length, then the payload.
/// A frame whose first byte has arrived must be complete within `frameReadTimeoutMs` (slow-loris guard).
struct ClassicFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundFrame
    static let prefixBytes = 8
    let frameBytesMax: Int
    let frameReadTimeout: TimeAmount
    private let work: ConnectionWork?
    /// The frame in progress, shared with its timer (a class: the timer reads it when it fires). `bytes` are the
    /// bytes of the frame still incomplete at the end of the last `decode` (the buffer's readable bytes then), kept
    /// so that a frame cut off by the timer can be recorded as received; the buffer only grows between two calls
    /// that consume nothing, so each byte is copied here once.
    private final class Progress {
        var bytes: [UInt8] = []
        var timer: Scheduled<Void>?
        /// The timer found reads held: the client gets one more full period once they resume.
        var deferred = false

        func reset() {
            timer?.cancel()
            timer = nil
            bytes = []
            deferred = false
        }
    }
    private let progress = Progress()

    /// `work`: the connection's dispatcher state; while it holds reads the timer waits another period.
    init(frameBytesMax: Int, frameReadTimeout: TimeAmount, work: ConnectionWork? = nil) {
        self.frameBytesMax = frameBytesMax
        self.frameReadTimeout = frameReadTimeout
        self.work = work
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let state: DecodingState
        do {
            state = try decodeFrame(context: context, buffer: &buffer)
        } catch var error as FrameError {
            error.received = Array(buffer.readableBytesView)
            throw error
        }
        // A frame completed: the next one gets its own frameReadTimeoutMs from here.
        if state == .continue || buffer.readableBytes == 0 { progress.reset() }
        if buffer.readableBytes > 0 {
            if state == .needMoreData, progress.bytes.count < buffer.readableBytes {
                progress.bytes += buffer.readableBytesView.dropFirst(progress.bytes.count)
            }
            if progress.timer == nil { arm(context: context) }
        }
        return state
    }

    private func arm(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((context, progress, work), eventLoop: context.eventLoop)
        let (timeout, seconds) = (frameReadTimeout, frameReadTimeout.nanoseconds / 1_000_000_000)
        func schedule() -> Scheduled<Void> {
            context.eventLoop.scheduleTask(in: timeout) {
                let (context, progress, work) = bound.value
                if work?.readsHeld == true || progress.deferred {
                    // The daemon is not reading, or has just resumed: the rest of the frame could not arrive.
                    progress.deferred = work?.readsHeld == true
                    progress.timer = schedule()
                    return
                }
                progress.timer = nil
                context.fireErrorCaught(FrameError(code: .frameTimeout, reason: "frame not completed within \(seconds) s",
                                                   received: progress.bytes))
            }
        }
        progress.timer = schedule()
    }

    private func decodeFrame(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let prefix = buffer.getBytes(at: buffer.readerIndex, length: Self.prefixBytes) else { return .needMoreData }
        guard prefix.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw FrameError(code: .frameMalformed, reason: "a classic frame starts with 8 ASCII digits")
        }
        let length = prefix.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard length > 0 else {
            throw FrameError(code: .frameMalformed, reason: "empty frame")
        }
        guard length <= frameBytesMax else {
            throw FrameError(code: .frameTooLarge, reason: "frame of \(length) bytes; the limit is \(frameBytesMax)")
        }
        guard buffer.readableBytes >= Self.prefixBytes + length else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: Self.prefixBytes)
        guard let payload = buffer.readBytes(length: length) else { return .needMoreData }
        context.fireChannelRead(NIOAny(InboundFrame(bytes: payload)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        progress.reset()
        while try decodeFrame(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Adds the 8-digit length prefix to each response.
struct ClassicFrameEncoder: MessageToByteEncoder {
    typealias OutboundIn = OutboundFrame

    func encode(data: OutboundFrame, out: inout ByteBuffer) throws {
        let length = String(data.bytes.count)
        out.writeString(String(repeating: "0", count: max(0, 8 - length.count)) + length)
        out.writeBytes(data.bytes)
    }
}
