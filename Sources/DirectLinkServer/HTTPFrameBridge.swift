import Foundation
import DirectLinkMessage
import NIOCore
import NIOHTTP1

/// Adapts HTTP/1.1 `POST /directlink` requests to frames and frames back to `200 OK` responses.
/// Anything else gets a plain HTTP error and the connection is closed.
final class HTTPFrameBridge: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = InboundFrame
    typealias OutboundIn = OutboundFrame
    typealias OutboundOut = HTTPServerResponsePart

    static let path = "/directlink"
    static let contentTypes: Set<String> = ["application/xml", "text/xml", "application/pkcs7-mime", "application/pkcs7"]

    private let frameBytesMax: Int
    private let requestGuard: HTTPRequestGuard
    private var body: [UInt8] = []
    private var rejected = false
    private var keepAlive = true
    /// The ordinal of the request whose parts arrive now (0 = the connection's first).
    private var ordinal = -1

    /// The head's size and the request's time are bounded before the decoder, by `requestGuard`, which also sends
    /// every plain error (after its audit record).
    init(frameBytesMax: Int, requestGuard: HTTPRequestGuard) {
        self.frameBytesMax = frameBytesMax
        self.requestGuard = requestGuard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A refused request closes the connection: nothing after it (even a complete request decoded from the
        // same read) is executed; requests that ended before it still run, in order.
        let part = unwrapInboundIn(data)
        if case .head = part { ordinal += 1 }
        guard requestGuard.mayRun(ordinal) else { return }
        switch part {
        case .head(let head):
            body.removeAll(keepingCapacity: true)
            keepAlive = head.isKeepAlive
            rejected = !accept(head, context: context)
        case .body(var chunk):
            guard !rejected else { return }
            guard chunk.readableBytes <= frameBytesMax - body.count else {
                rejected = true
                reject(context: context, status: .payloadTooLarge, code: .frameTooLarge, reason: "body larger than \(frameBytesMax) bytes")
                return
            }
            body.append(contentsOf: chunk.readBytes(length: chunk.readableBytes) ?? [])
        case .end:
            guard !rejected else { return }
            context.fireChannelRead(wrapInboundOut(InboundFrame(bytes: body)))
            body = []
        }
    }

    private func accept(_ head: HTTPRequestHead, context: ChannelHandlerContext) -> Bool {
        guard head.method == .POST else {
            reject(context: context, status: .methodNotAllowed, code: .httpRequestRejected, reason: "use POST \(Self.path)")
            return false
        }
        guard head.uri == Self.path else {
            reject(context: context, status: .notFound, code: .httpRequestRejected, reason: "the endpoint is POST \(Self.path)")
            return false
        }
        let type = head.headers.first(name: "content-type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let type, Self.contentTypes.contains(type) else {
            reject(context: context, status: .unsupportedMediaType, code: .httpRequestRejected, reason: "Content-Type must be application/xml or application/pkcs7-mime")
            return false
        }
        if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > frameBytesMax {
            reject(context: context, status: .payloadTooLarge, code: .frameTooLarge, reason: "body of \(length) bytes; the limit is \(frameBytesMax)")
            return false
        }
        return true
    }

    /// A plain (unsigned) error: no message could be read to answer with a signed response.
    private func reject(context: ChannelHandlerContext, status: HTTPResponseStatus, code: RetCode, reason: String) {
        rejected = true
        requestGuard.reject(status: status, code: code, reason: reason, ordinal: ordinal)
    }

    /// A whole plain-error HTTP response as bytes, for `HTTPRequestGuard`, which answers below the HTTP encoder.
    static func plainErrorResponse(status: HTTPResponseStatus, code: RetCode, correlationId: String, payload: [UInt8]) -> [UInt8] {
        let head = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\nContent-Type: application/xml; charset=utf-8\r\n"
            + "Content-Length: \(payload.count)\r\nConnection: close\r\nX-DirectLink-RetCode: \(code.rawValue)\r\n"
            + "X-DirectLink-CorrelationId: \(correlationId)\r\n\r\n"
        return Array(head.utf8) + payload
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        var headers = HTTPHeaders([("Content-Type", "application/xml"), ("Content-Length", "\(frame.bytes.count)")])
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: frame.bytes)))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
        if !keepAlive {
            context.flush()
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // The decoder's error concerns the request it was reading, which the guard knows (this handler may still be
        // behind it, on a request the pipeline handler held, which still runs).
        if let frameError = error as? FrameError {
            requestGuard.reject(status: .badRequest, code: frameError.code, reason: frameError.reason)
        } else {
            requestGuard.reject(status: .badRequest, code: .httpRequestRejected, reason: "unreadable HTTP request")
        }
    }
}

extension HTTPFrameBridge: @unchecked Sendable {}
