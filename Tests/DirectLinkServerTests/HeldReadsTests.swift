import DirectLinkCrypto
@testable import DirectLinkServer
import Foundation
import Logging
import NIOPosix
import Testing

/// `frameReadTimeoutMs` guards against clients that send slowly, not against the daemon reading slowly: a frame
/// whose rest cannot arrive because the daemon holds reads (back-pressure) is not cut off. The server runs with a
/// processor that takes 900 ms per frame, one frame in flight per connection, and a 300 ms read timeout.
struct HeldReadsTests {
    struct SlowEcho: FrameProcessor {
        func process(_ frame: [UInt8], connection: ConnectionInfo) async -> [UInt8]? {
            try? await Task.sleep(for: .milliseconds(900))
            return frame
        }
    }

    @Test func aFrameWaitingBehindHeldReadsIsNotCutOff() async throws {
        var limits = ServerLimits()
        limits.inFlightPerConnectionMax = 1
        limits.frameReadTimeoutMs = 300
        let (_, port, stop) = try await Self.start(SlowEcho(), limits: limits)
        let raw = try await RawTLSConnection.open(port: port)
        let (first, second) = (Array("frame-A".utf8), Array("frame-B, a little longer".utf8))
        let secondFrame = classicFrame(second)
        // A whole and the start of B: A is processed (900 ms) while reads are held; B's timer must wait.
        try await raw.write(classicFrame(first) + Array(secondFrame.prefix(12)))
        let answeredFirst = await eventually(.seconds(5)) { !classicFrames(in: raw.received).isEmpty }
        #expect(answeredFirst, "the connection was cut while the daemon held reads")
        try? await raw.write(Array(secondFrame.dropFirst(12)))
        _ = await eventually(.seconds(5)) { classicFrames(in: raw.received).count >= 2 }
        #expect(classicFrames(in: raw.received) == [first, second])
        await raw.close()
        try await stop()
    }

    /// A server with `processor` on 127.0.0.1 (one event loop, one pool thread); `stop` shuts all of it down.
    static func start(_ processor: any FrameProcessor, limits: ServerLimits) async throws
        -> (server: DirectLinkServer, port: Int, stop: () async throws -> Void) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let trust = try TrustStore(caBundlePath: Repository.pki("ca-bundle.pem"), crlPaths: [Repository.pki("crls.pem")])
        let server = try DirectLinkServer(
            tls: .init(certificateChainPath: Repository.pki("bank-server.pem"), privateKeyPath: Repository.pki("bank-server.key")),
            limits: limits, processor: processor, trust: { trust }, group: group, threadPool: pool,
            logger: Logger(label: "server-test"))
        let port = try await server.start(host: "127.0.0.1", port: 0)
        return (server, port, {
            await server.shutdown()
            try await pool.shutdownGracefully()
            try await group.shutdownGracefully()
        })
    }

    /// A frame the processor may not answer (nil: its audit record failed) closes the connection after the responses
    /// before it; nothing after it is answered.
    struct RefusesB: FrameProcessor {
        func process(_ frame: [UInt8], connection: ConnectionInfo) async -> [UInt8]? {
            frame.first == UInt8(ascii: "B") ? nil : frame
        }
    }

    @Test func aFrameThatMayNotBeAnsweredClosesTheConnectionAfterTheOnesBefore() async throws {
        let (_, port, stop) = try await Self.start(RefusesB(), limits: ServerLimits())
        let raw = try await RawTLSConnection.open(port: port)
        let frames = ["A-first", "A-second", "B-refused", "A-after"].map { Array($0.utf8) }
        try await raw.write(frames.flatMap(classicFrame))
        #expect(await raw.closedByPeer(within: .seconds(5)), "the connection must close")
        #expect(classicFrames(in: raw.received) == Array(frames.prefix(2)), "the two before it, nothing else")
        try await stop()
    }
}
