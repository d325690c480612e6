import DirectLinkMessage
import DirectLinkCrypto

/// What the transport proved about a connection before any frame is read.
public struct ConnectionInfo: Sendable {
    /// Process-unique, increasing.
    public let id: UInt64
    public let remoteAddress: String
    /// The client certificate's validated chain (checked by the same trust store as message signatures).
    public let peer: ValidatedChain
    /// The corporation the TLS client speaks for: the `OU` of its certificate.
    public let corpId: String
    public let framing: Framing

    public enum Framing: String, Sendable {
        case classic, http
    }

    public init(id: UInt64, remoteAddress: String, peer: ValidatedChain, corpId: String, framing: Framing) {
        self.id = id
        self.remoteAddress = remoteAddress
        self.peer = peer
        self.corpId = corpId
        self.framing = framing
    }
}

/// Turns one request frame into one response frame. The daemon's implementation is the gateway
/// (verify → identity → permission → idempotency → engine → signed response); it never throws:
/// every failure is a signed error response.
public protocol FrameProcessor: Sendable {
    /// The response to send, or nil when nothing may be sent: the connection is then closed after the responses
    /// before it (the audit log could not record an answer).
    func process(_ frame: [UInt8], connection: ConnectionInfo) async -> [UInt8]?
    /// Records a frame that could not be read (its bytes as far as they arrived) and the plain error about to be
    /// sent for it. Returns false when the record could not be made durable: the error is then not sent (the
    /// connection just closes), since nothing leaves without its audit record. `correlationId` is the one the error
    /// carries: the log line and the audit record use it too.
    func unreadable(_ received: [UInt8], response: [UInt8], code: RetCode, correlationId: String, connection: ConnectionInfo) async -> Bool
}

extension FrameProcessor {
    /// Processors without an audit log send the plain error at once.
    public func unreadable(_ received: [UInt8], response: [UInt8], code: RetCode, correlationId: String, connection: ConnectionInfo) async -> Bool { true }
}
