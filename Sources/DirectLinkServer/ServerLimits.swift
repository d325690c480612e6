/// Every bound the daemon's transport enforces. Units are last in each name; durations are milliseconds.
public struct ServerLimits: Sendable, Equatable, Codable {
    /// Largest payload of one frame (classic length or HTTP body), bytes.
    public var frameBytesMax: Int = 1 << 20
    /// Largest HTTP request head, bytes.
    public var httpHeadBytesMax: Int = 16 * 1024
    /// TLS handshake must finish within this.
    public var handshakeTimeoutMs: Int = 10_000
    /// Once the first byte of a frame has arrived, the whole frame must arrive within this (slow-loris guard).
    public var frameReadTimeoutMs: Int = 15_000
    /// A connection with no traffic at all for this long is closed.
    public var idleTimeoutMs: Int = 300_000
    /// Connections open at once, in total and per corporation (TLS identity).
    public var connectionsMax: Int = 1_024
    public var connectionsPerCorpMax: Int = 64
    /// Requests read from one connection but not yet answered; reading pauses at the limit.
    public var inFlightPerConnectionMax: Int = 32
    /// How long SIGTERM waits for in-flight requests before closing connections.
    public var drainTimeoutMs: Int = 30_000

    public init() {}

    public static let `default` = ServerLimits()

    /// Checks relationships at start-up.
    public func validated() throws -> ServerLimits {
        let positive = [frameBytesMax, httpHeadBytesMax, handshakeTimeoutMs, frameReadTimeoutMs, idleTimeoutMs,
                        connectionsMax, connectionsPerCorpMax, inFlightPerConnectionMax, drainTimeoutMs]
        guard positive.allSatisfy({ $0 > 0 }) else {
            throw ServerConfigurationError("every server limit must be positive")
        }
        guard connectionsPerCorpMax <= connectionsMax else {
            throw ServerConfigurationError("connectionsPerCorpMax (\(connectionsPerCorpMax)) must not exceed connectionsMax (\(connectionsMax))")
        }
        guard frameBytesMax <= 99_999_999 else {
            throw ServerConfigurationError("frameBytesMax must fit the 8-digit classic length prefix")
        }
        guard frameReadTimeoutMs <= idleTimeoutMs else {
            throw ServerConfigurationError("frameReadTimeoutMs must not exceed idleTimeoutMs")
        }
        return self
    }
}

public struct ServerConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
