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
    func process(_ frame: [UInt8], connection: ConnectionInfo) async -> [UInt8]
}
