import DirectLinkServer
import Foundation
import NIOCore
import NIOPosix
import Testing

/// The transport limits not covered in TransportLimitTests: connections in total, idle time, handshake time.
struct ConnectionLimitTests {
    @Test func connectionBeyondConnectionsMaxIsClosedWhateverTheCorporation() async throws {
        let bank = try Bank()
        try await RunningDaemon.with({ configuration in
            configuration.limits.server.connectionsMax = 2
            configuration.limits.server.connectionsPerCorpMax = 2
        }) { daemon in
            let first = try await daemon.connect()
            let second = try await daemon.connect(as: "corpb-client")
            #expect(try await bank.send(try Request.signed("server-time"), on: first).retCode == "0000")
            // A third connection, for another corporation, is refused at accept: connectionsMax counts everyone.
            if let third = try? await daemon.connect(as: "corpa-client") {
                #expect(await completes(third.closeFuture, within: .seconds(5)), "a third connection must be closed")
            }
            // Closing one frees its place.
            await second.close()
            #expect(await eventually { daemon.daemon.openConnections < 2 })
            let again = try await daemon.connect()
            #expect(try await bank.send(try Request.signed("server-time"), on: again).retCode == "0000")
            await first.close()
            await again.close()
        }
    }

    @Test func silentConnectionIsClosedAfterIdleTimeout() async throws {
        let bank = try Bank()
        try await RunningDaemon.with({ configuration in
            configuration.limits.server.idleTimeoutMs = 600
            configuration.limits.server.frameReadTimeoutMs = 500
        }) { daemon in
            let client = try await daemon.connect()
            #expect(try await bank.send(try Request.signed("server-time"), on: client).retCode == "0000")
            let started = ContinuousClock.now
            #expect(await completes(client.closeFuture, within: .seconds(5)), "an idle connection must be closed")
            #expect(ContinuousClock.now - started >= .milliseconds(400), "not before the idle timeout")
        }
    }

    @Test func connectionThatNeverHandshakesIsClosedAfterHandshakeTimeout() async throws {
        try await RunningDaemon.with({ configuration in
            configuration.limits.server.handshakeTimeoutMs = 500
        }) { daemon in
            // Plain TCP, no TLS ClientHello: the daemon must not wait forever. The clock starts before the connect:
            // the daemon's timer starts when it accepts, which may come well before the client sees the connect done.
            let started = ContinuousClock.now
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: daemon.port).get()
            #expect(await completes(channel.closeFuture, within: .seconds(5)), "a silent TCP connection must be closed")
            #expect(ContinuousClock.now - started >= .milliseconds(400), "not before the handshake timeout")
        }
    }
}
