import DirectLinkMessage
import DirectLinkServer
import Foundation
import Testing

/// Transport limits: each one crossed, with the plain `FrameError` code the protocol documents, and the daemon
/// still serving afterwards.
extension DaemonEndToEndTests {
    static func smallLimits(_ configuration: inout DaemonConfiguration) {
        configuration.limits.server.frameBytesMax = 16_384
        configuration.limits.xml.documentBytesMax = 16_384
        configuration.limits.xml.textBytesMax = 8_192
        configuration.limits.server.frameReadTimeoutMs = 500
        configuration.limits.server.connectionsPerCorpMax = 2
    }

    /// After a connection was dropped for its frame, a well-behaved client is still served.
    static func expectStillServing(_ daemon: RunningDaemon, _ bank: Bank) async throws {
        let client = try await daemon.connect()
        defer { Task { await client.close() } }
        let reply = try await bank.send(try Request.signed("server-time"), on: client)
        #expect(reply.retCode == "0000", "\(reply.summary)")
    }

    @Test func classicLengthPrefixAboveFrameBytesMaxIs1001ThenClose() async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let raw = try await RawTLSConnection.open(port: daemon.port)
            // Only the prefix: the daemon must refuse on the declared length, without waiting for the payload.
            try await raw.write(Array("00016385".utf8))
            #expect(await raw.closedByPeer(within: .seconds(5)), "the connection must close")
            #expect(try PlainFrameError(classic: raw.received).retCode == "1001")
            try await Self.expectStillServing(daemon, bank)
        }
    }

    @Test func classicFrameOfExactlyFrameBytesMaxIsRead() async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            // A signed request padded with trailing white space to exactly the limit: at the limit is allowed.
            var request = try Request.signed("server-time")
            request += [UInt8](repeating: UInt8(ascii: "\n"), count: 16_384 - request.count)
            let reply = try await bank.send(request, on: client)
            #expect(reply.retCode == "0000", "\(reply.summary)")
        }
    }

    @Test func frameNotCompletedWithinFrameReadTimeoutIs1004ThenClose() async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let raw = try await RawTLSConnection.open(port: daemon.port)
            let request = try Request.signed("server-time")
            let started = ContinuousClock.now
            try await raw.write(Array(classicFrame(request).prefix(8 + request.count / 2)))
            #expect(await raw.closedByPeer(within: .seconds(5)), "a slow frame must be cut off")
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(400), "closed after \(waited), before frameReadTimeoutMs (500 ms)")
            #expect(try PlainFrameError(classic: raw.received).retCode == "1004")
            try await Self.expectStillServing(daemon, bank)
        }
    }

    /// Fewer bytes than it takes to tell the framing ("PO" could still become "POST"): the same timeout applies.
    /// The sniffer used to fire its error with no framing installed, so the connection stayed until the idle timeout.
    @Test func startTooShortToTellTheFramingIs1004ThenClose() async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let raw = try await RawTLSConnection.open(port: daemon.port)
            try await raw.write(Array("PO".utf8))
            #expect(await raw.closedByPeer(within: .seconds(5)), "a start that never completes must be cut off")
            #expect(try PlainFrameError(classic: raw.received).retCode == "1004")
            try await Self.expectStillServing(daemon, bank)
        }
    }

    /// `frameReadTimeoutMs` runs from a frame's first byte to its last. A client that streams frames back to back,
    /// each completed well within the limit but with the next one already started, must not be cut off.
    @Test func backToBackFramesEachWithinFrameReadTimeoutAreAllRead() async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let raw = try await RawTLSConnection.open(port: daemon.port)
            defer { Task { await raw.close() } }
            let frames = try (0..<5).map { _ in classicFrame(try Request.signed("server-time")) }
            // Every 250 ms: the rest of one frame and the first half of the next, so each frame takes 250 ms (limit
            // 500 ms) but the daemon's buffer is never empty.
            var stream: [UInt8] = []
            for frame in frames { stream += frame }
            var cuts = [0]
            var offset = 0
            for frame in frames {
                cuts.append(offset + frame.count / 2)
                offset += frame.count
            }
            cuts.append(stream.count)
            var writeFailure: (any Error)?
            for index in 0..<(cuts.count - 1) where writeFailure == nil {
                do {
                    try await raw.write(Array(stream[cuts[index]..<cuts[index + 1]]))
                } catch {
                    writeFailure = error
                }
                if index < cuts.count - 2 { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(writeFailure == nil, "the daemon closed the connection mid-stream: \(writeFailure.map { "\($0)" } ?? "")")
            _ = await eventually(.seconds(5)) { classicFrames(in: raw.received).count >= 5 }
            let answers = classicFrames(in: raw.received)
            #expect(answers.count == 5, "\(answers.count) of 5 frames answered; received \(String(decoding: raw.received.suffix(400), as: UTF8.self))")
            for answer in answers {
                if let plain = try? PlainFrameError(xml: answer) {
                    Issue.record("FrameError \(plain.retCode) for a frame completed within frameReadTimeoutMs")
                    continue
                }
                let reply = try? bank.read(answer)
                #expect(reply?.retCode == "0000", "\(String(decoding: answer.prefix(400), as: UTF8.self))")
            }
        }
    }

    /// Bytes that are neither 8 ASCII digits nor an HTTP method.
    @Test(arguments: ["xx\u{01}\u{02}garbage!", "HELLO WORLD!", "0000abcd<Message/>"])
    func unreadableFramePrefixIs1003ThenClose(garbage: String) async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let raw = try await RawTLSConnection.open(port: daemon.port)
            try await raw.write(Array(garbage.utf8))
            #expect(await raw.closedByPeer(within: .seconds(5)), "the connection must close")
            #expect(try PlainFrameError(classic: raw.received).retCode == "1003")
            try await Self.expectStillServing(daemon, bank)
        }
    }

    /// Frames read before an unreadable one are still answered, in order, before the plain error: a payment followed
    /// by garbage in the same write gets its signed response, then the FrameError, then the close (the response was
    /// dropped before, although the payment had run).
    @Test func framesBeforeAnUnreadableOneAreAnsweredFirst() async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let serial = MessageTemplate.freshSerial()
            let payment = try Request.intraBankPayment(serial: serial, amount: "3.00")
            let raw = try await RawTLSConnection.open(port: daemon.port)
            try await raw.write(classicFrame(payment) + classicFrame(try Request.signed("server-time")) + Array("xx\u{01}garbage".utf8))
            #expect(await raw.closedByPeer(within: .seconds(5)), "the connection must close")
            let frames = classicFrames(in: raw.received)
            #expect(frames.count == 3, "two responses and the error: \(String(decoding: raw.received, as: UTF8.self))")
            guard frames.count == 3 else { return }
            let paid = try bank.read(frames[0])
            #expect(paid.retCode == "0000" && paid.resultName == "PaymentResult", "\(paid.summary)")
            #expect(try bank.read(frames[1]).resultName == "TimeResult")
            let error = try PlainFrameError(xml: frames[2])
            #expect(error.retCode == "1003")
            #expect(error.correlationId?.count == 16, "the plain error carries a correlation id")
            try await Self.expectStillServing(daemon, bank)
        }
    }

    /// `DirectLinkClient.sendRaw`, the client's own tool for malformed frames. Run in a child process (an exit test):
    /// should `sendRaw` trap, only the child dies and this test fails, not the whole test run.
    @Test func garbageThroughDirectLinkClientSendRawClosesTheConnection() async throws {
        await #expect(processExitsWith: .success) {
            do {
                let bank = try Bank()
                try await RunningDaemon.with(DaemonEndToEndTests.smallLimits) { daemon in
                    let client = try await daemon.connect()
                    _ = try await client.sendRaw(Array("xx\u{01}\u{02}garbage!".utf8))
                    guard await completes(client.closeFuture, within: .seconds(5)) else {
                        throw HarnessFailure("the daemon did not close a connection that sent garbage")
                    }
                    let good = try await daemon.connect()
                    let reply = try await bank.send(try Request.signed("server-time"), on: good)
                    guard reply.retCode == "0000" else { throw HarnessFailure("not served after garbage: \(reply.summary)") }
                    await good.close()
                }
            } catch {
                FileHandle.standardError.write(Data("sendRaw exit test: \(error)\n".utf8))
                exit(1)
            }
        }
    }

    @Test func httpContentLengthAboveFrameBytesMaxIs413With1001() async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let raw = try await RawTLSConnection.open(port: daemon.port)
            try await raw.write(Array("POST /directlink HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/xml\r\nContent-Length: 16385\r\n\r\n".utf8))
            #expect(await raw.closedByPeer(within: .seconds(5)), "the connection must close")
            let text = String(decoding: raw.received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 413"), "\(text)")
            #expect(text.lowercased().contains("x-directlink-retcode: 1001"), "\(text)")
            let body = try #require(text.range(of: "\r\n\r\n").map { Array(text[$0.upperBound...].utf8) })
            #expect(try PlainFrameError(xml: body).retCode == "1001")
            try await Self.expectStillServing(daemon, bank)
        }
    }

    /// The slow-loris guard covers the HTTP head too: NIO's decoder reports nothing until a head is complete, so a
    /// head that never ends used to hold its connection until the idle timeout (300 s).
    @Test func httpHeadNotCompletedWithinFrameReadTimeoutIs408With1004() async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let raw = try await RawTLSConnection.open(port: daemon.port)
            let started = ContinuousClock.now
            try await raw.write(Array("POST /directlink HTTP/1.1\r\nHost: localhost\r\nContent-Type: appl".utf8))
            try await Task.sleep(for: .milliseconds(200))
            try? await raw.write(Array("ication/xml\r\n".utf8))
            #expect(await raw.closedByPeer(within: .seconds(5)), "a head trickling in must be cut off")
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(400), "closed after \(waited), before frameReadTimeoutMs (500 ms)")
            let text = String(decoding: raw.received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 408"), "\(text)")
            #expect(text.lowercased().contains("x-directlink-retcode: 1004"), "\(text)")
            try await Self.expectStillServing(daemon, bank)
        }
    }

    /// `httpHeadBytesMax` bounds the head alone: a longer head is refused before it ends, while a body longer than
    /// the head limit (a signed request) is served.
    @Test func httpHeadAboveHttpHeadBytesMaxIs431With1001AndBodiesAreNotCounted() async throws {
        let bank = try Bank()
        let limits: (inout DaemonConfiguration) -> Void = { configuration in
            Self.smallLimits(&configuration)
            configuration.limits.server.httpHeadBytesMax = 1024
        }
        try await RunningDaemon.with(limits) { daemon in
            let raw = try await RawTLSConnection.open(port: daemon.port)
            let padding = String(repeating: "a", count: 1500)
            try await raw.write(Array("POST /directlink HTTP/1.1\r\nHost: localhost\r\nX-Padding: \(padding)".utf8))
            #expect(await raw.closedByPeer(within: .seconds(5)), "the connection must close")
            let text = String(decoding: raw.received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 431"), "\(text)")
            #expect(text.lowercased().contains("x-directlink-retcode: 1001"), "\(text)")

            let client = try await daemon.connect(framing: .http)
            defer { Task { await client.close() } }
            let request = try Request.intraBankPayment(serial: MessageTemplate.freshSerial(), amount: "1.00")
            #expect(request.count > 1024)
            let reply = try await bank.send(request, on: client)
            #expect(reply.retCode == "0000", "\(reply.summary)")
        }
    }

    /// HTTP requests the bridge cannot take: a plain error with the documented code, then close; others are served.
    @Test(arguments: [
        ("GET /directlink HTTP/1.1\r\nHost: localhost\r\n\r\n", "HTTP/1.1 405", "1005"),
        ("POST /other HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/xml\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 404", "1005"),
        ("POST /directlink HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 415", "1005"),
        ("POST /directlink HTTP/1.1\r\nthis is not a header\r\n\r\n", "HTTP/1.1 400", "1005"),
    ])
    func httpRequestTheBridgeCannotTakeIsAPlainErrorThenClose(request: String, status: String, retCode: String) async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let raw = try await RawTLSConnection.open(port: daemon.port)
            try await raw.write(Array(request.utf8))
            #expect(await raw.closedByPeer(within: .seconds(5)), "the connection must close")
            let text = String(decoding: raw.received, as: UTF8.self)
            #expect(text.hasPrefix(status), "\(text)")
            #expect(text.lowercased().contains("x-directlink-retcode: \(retCode)"), "\(text)")
            // The header and the body name the same correlation id (also in the daemon's log line and audit record).
            let header = text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("x-directlink-correlationid: ") }
            let body = try #require(text.range(of: "\r\n\r\n").map { Array(text[$0.upperBound...].utf8) })
            let correlation = try PlainFrameError(xml: body).correlationId
            #expect(correlation != nil && header.map { String($0.dropFirst("x-directlink-correlationid: ".count)) } == correlation, "\(text)")
            try await Self.expectStillServing(daemon, bank)
        }
    }

    /// A head over `httpHeadBytesMax` that arrives whole, in one read, is refused too (measured in the raw bytes
    /// once the decoder has it).
    @Test func wholeHttpHeadAboveHttpHeadBytesMaxIs431() async throws {
        let bank = try Bank()
        try await RunningDaemon.with({ Self.smallLimits(&$0); $0.limits.server.httpHeadBytesMax = 1024 }) { daemon in
            let raw = try await RawTLSConnection.open(port: daemon.port)
            let padding = String(repeating: "a", count: 1500)
            try await raw.write(Array("POST /directlink HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/xml\r\nX-Padding: \(padding)\r\nContent-Length: 0\r\n\r\n".utf8))
            #expect(await raw.closedByPeer(within: .seconds(5)), "the connection must close")
            let text = String(decoding: raw.received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 431"), "\(text)")
            try await Self.expectStillServing(daemon, bank)
        }
    }

    /// A whole `POST /directlink` request with `body`; `headers` are extra header lines, each ending in CRLF.
    static func httpPost(_ body: [UInt8], headers: String = "") -> [UInt8] {
        Array("POST /directlink HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/xml\r\n\(headers)Content-Length: \(body.count)\r\n\r\n".utf8) + body
    }

    /// The start of a pipelined request that arrives in the same write as the end of the one before it is timed from
    /// then on: the first request is answered, the unfinished one is cut off with 408 after `frameReadTimeoutMs`
    /// (it used to wait for more bytes, then for the idle timeout).
    @Test func pipelinedHeadStartedInTheSameWriteIsTimed() async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let query = try Request.signed("server-time")
            let whole = Self.httpPost(query)
            let raw = try await RawTLSConnection.open(port: daemon.port)
            let started = ContinuousClock.now
            try await raw.write(whole + Array("POST /directlink HTTP/1.1\r\nHost: loc".utf8))
            #expect(await raw.closedByPeer(within: .seconds(5)), "the unfinished second request must be cut off")
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(400), "closed after \(waited), before frameReadTimeoutMs (500 ms)")
            let text = String(decoding: raw.received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200"), "the first request is answered first: \(text.prefix(200))")
            let refusal = try #require(text.range(of: "HTTP/1.1 408"), "then the 408: \(text.suffix(400))")
            #expect(text[refusal.lowerBound...].lowercased().contains("x-directlink-retcode: 1004"))
            try await Self.expectStillServing(daemon, bank)
        }
    }

    /// A whole pipelined head over `httpHeadBytesMax` in the same write as the request before it is measured too.
    @Test func pipelinedWholeHeadAboveHttpHeadBytesMaxIs431AfterTheFirstAnswer() async throws {
        let bank = try Bank()
        try await RunningDaemon.with({ Self.smallLimits(&$0); $0.limits.server.httpHeadBytesMax = 1024 }) { daemon in
            let query = try Request.signed("server-time")
            let whole = Self.httpPost(query)
            let large = Self.httpPost(query, headers: "X-Padding: \(String(repeating: "a", count: 1500))\r\n")
            let raw = try await RawTLSConnection.open(port: daemon.port)
            try await raw.write(whole + large)
            #expect(await raw.closedByPeer(within: .seconds(5)), "the connection must close")
            let text = String(decoding: raw.received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200"), "the first request is answered first: \(text.prefix(200))")
            #expect(text.contains("HTTP/1.1 431"), "\(text.suffix(400))")
            #expect(text.components(separatedBy: "HTTP/1.1 200").count == 2, "the oversized request is not served")
            try await Self.expectStillServing(daemon, bank)
        }
    }

    /// Three requests in one write, the third with a head over `httpHeadBytesMax`: the two before it are executed and
    /// answered in order (the second waits in NIO's pipeline handler while the first runs), then the 431.
    @Test func requestsBeforeARefusedPipelinedOneAreAnsweredBeforeTheRefusal() async throws {
        let bank = try Bank()
        try await RunningDaemon.with({ Self.smallLimits(&$0); $0.limits.server.httpHeadBytesMax = 1024 }) { daemon in
            let serial = MessageTemplate.freshSerial()
            let payment = try Request.intraBankPayment(serial: serial, amount: "6.00")
            let query = try Request.signed("server-time")
            let raw = try await RawTLSConnection.open(port: daemon.port)
            try await raw.write(Self.httpPost(query) + Self.httpPost(payment)
                                + Self.httpPost(query, headers: "X-Padding: \(String(repeating: "a", count: 1500))\r\n"))
            #expect(await raw.closedByPeer(within: .seconds(5)), "the connection must close")
            let text = String(decoding: raw.received, as: UTF8.self)
            let statuses = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(statuses == ["200", "200", "431"], "\(text.prefix(300))")
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            let status = try await bank.send(try Request.signed("payment-status", [("OrigSerialNo", serial)]), on: client)
            #expect(status.retCode == "0000" && status.field("Status") == "SETTLED", "the payment before the refusal ran: \(status.summary)")
        }
    }

    /// Once a request is refused nothing after it runs, even a complete payment that arrived in the same write.
    @Test func requestAfterARefusedOneOnTheSameConnectionIsNotExecuted() async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let serial = MessageTemplate.freshSerial()
            let payment = try Request.intraBankPayment(serial: serial, amount: "4.00")
            let refused = Array("GET /directlink HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
            let good = Self.httpPost(payment)
            let raw = try await RawTLSConnection.open(port: daemon.port)
            try await raw.write(refused + good)
            #expect(await raw.closedByPeer(within: .seconds(5)), "the connection must close")
            let text = String(decoding: raw.received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 405"), "\(text)")
            #expect(!text.contains("HTTP/1.1 200"), "nothing after the refusal is answered: \(text)")
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            let status = try await bank.send(try Request.signed("payment-status", [("OrigSerialNo", serial)]), on: client)
            #expect(status.retCode == "8011", "the payment after the refusal must not have run: \(status.summary)")
        }
    }

    @Test func connectionBeyondConnectionsPerCorpMaxIsClosed() async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.smallLimits) { daemon in
            let first = try await daemon.connect()
            let second = try await daemon.connect()
            #expect(try await bank.send(try Request.signed("server-time"), on: first).retCode == "0000")
            #expect(try await bank.send(try Request.signed("server-time"), on: second).retCode == "0000")

            // The third for CORPA001 is closed after the handshake (which may or may not let connect() succeed).
            if let third = try? await daemon.connect() {
                #expect(await completes(third.closeFuture, within: .seconds(5)), "a third CORPA001 connection must be closed")
                let answered = try? await third.send(try Request.signed("server-time"))
                #expect(answered == nil)
            }
            // The limit is per corporation: CORPB001 still gets in.
            let corpB = try await daemon.connect(as: "corpb-client")
            let other = try await bank.send(try Request.signed("server-time", by: .corpBMaker, [("CorpId", "CORPB001")]), on: corpB)
            #expect(other.retCode == "0000", "\(other.summary)")
            // The first two keep working; closing one frees its slot.
            #expect(try await bank.send(try Request.signed("server-time"), on: first).retCode == "0000")
            await second.close()
            let freed = await eventually {
                guard let again = try? await daemon.connect() else { return false }
                defer { Task { await again.close() } }
                return (try? await bank.send(try Request.signed("server-time"), on: again))?.retCode == "0000"
            }
            #expect(freed, "a closed connection must give its slot back")
            await first.close()
            await corpB.close()
        }
    }

    @Test func clientDisconnectingBeforeItsResponseLeavesTheDaemonConsistent() async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            var serials: [String] = []
            for _ in 0..<5 {
                let raw = try await RawTLSConnection.open(port: daemon.port)
                let serial = MessageTemplate.freshSerial()
                serials.append(serial)
                try await raw.write(classicFrame(try Request.intraBankPayment(serial: serial, amount: "10.00")))
                await raw.close()
            }
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            #expect(try await bank.send(try Request.signed("server-time"), on: client).retCode == "0000")
            // Whatever the daemon read, it finished: each payment is either settled or was never read (8011).
            var settled = 0
            for serial in serials {
                var last: Reply?
                _ = try await eventually {
                    last = try await bank.send(try Request.signed("payment-status", [("OrigSerialNo", serial)]), on: client)
                    return last?.retCode == "0000"
                }
                let status = try #require(last)
                #expect(status.retCode == "0000" || status.retCode == "8011", "\(status.summary)")
                if status.retCode == "0000" {
                    #expect(status.field("Status") == "SETTLED")
                    settled += 1
                }
            }
            let balances = try await bank.send(try Request.signed("balance-query"), on: client)
            let expected = "\(10_000_000 - 10 * settled).00"
            #expect(balances.all("Account").first?.field("Balance") == expected)
            #expect(try await daemon.daemon.engine.verifyInvariants() == [])
        }
    }

    /// A client that leaves while its responses are being written: 200 payments pipelined on one connection, closed as
    /// soon as the first response bytes have arrived. The daemon keeps serving; every payment it read is settled exactly once,
    /// each answer is in the journal (a resend gets it), and the ledger balances.
    @Test func clientDisconnectingMidResponsesLeavesTheDaemonConsistent() async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let serials = (0..<200).map { _ in MessageTemplate.freshSerial() }
            let raw = try await RawTLSConnection.open(port: daemon.port)
            try await raw.write(try serials.flatMap { classicFrame(try Request.intraBankPayment(serial: $0, amount: "1.00")) })
            let deadline = ContinuousClock.now + .seconds(10)
            while raw.received.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
            await raw.close()
            let read = classicFrames(in: raw.received).count
            #expect(read < serials.count, "the client left before all its responses (it read \(read))")

            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            #expect(Set(serials).count == serials.count)
            // Whatever the daemon read from the closed connection, it finishes.
            #expect(await eventually(.seconds(30)) { daemon.daemon.inFlight.current == 0 }, "work of the closed connection never finished")
            var settled = 0
            for serial in serials {
                let status = try await bank.send(try Request.signed("payment-status", [("OrigSerialNo", serial)]), on: client)
                #expect(status.retCode == "0000" || status.retCode == "8011", "\(status.summary)")
                guard status.retCode == "0000" else { continue }
                #expect(status.field("Status") == "SETTLED")
                settled += 1
                // The answer the client never read is in the journal: the resend gets it, and pays nothing again.
                let resent = try await bank.send(try Request.intraBankPayment(serial: serial, amount: "1.00"), on: client)
                #expect(resent.retCode == "0000" && resent.field("Status") == "SETTLED", "\(resent.summary)")
            }
            #expect(settled > 0)
            let balances = try await bank.send(try Request.signed("balance-query"), on: client)
            #expect(balances.all("Account").first?.field("Balance") == "\(10_000_000 - settled).00")
            #expect(try await daemon.daemon.engine.verifyInvariants() == [])
        }
    }

    @Test(arguments: framings) func pipelinedRequestsAreAnsweredInOrder(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            // Payments (through the group-commit writer) interleaved with queries (read-only, faster): answered out of
            // order by the engine, they must still come back in request order.
            var requests: [(String, [UInt8])] = []
            for index in 0..<20 {
                let serial = MessageTemplate.freshSerial() + "p\(index)"
                let request = index % 2 == 0
                    ? try Request.intraBankPayment(serial: serial, amount: "1.00")
                    : try Request.signed(index % 4 == 1 ? "server-time" : "balance-query", serial: serial)
                requests.append((serial, request))
            }
            // The client queues responses first in, first out: a response in the wrong place carries the wrong SerialNo.
            let echoed = try await withThrowingTaskGroup(of: (Int, String, String?).self) { group in
                for (index, (_, request)) in requests.enumerated() {
                    group.addTask {
                        let reply = try bank.read(try await client.send(request))
                        return (index, reply.serialNo, reply.retCode)
                    }
                }
                var all: [(Int, String, String?)] = []
                for try await result in group { all.append(result) }
                return all.sorted { $0.0 < $1.0 }
            }
            #expect(echoed.count == 20)
            for (index, serial, retCode) in echoed {
                #expect(serial == requests[index].0, "response \(index) echoes \(serial)")
                #expect(retCode == "0000")
            }
        }
    }

    /// `inFlightPerConnectionMax`: a client that pipelines more requests than the limit has them all answered, in
    /// order, while the daemon never works on more than the limit at once (it stops reading: back-pressure).
    @Test(arguments: framings) func pipelinedRequestsBeyondInFlightPerConnectionMaxWaitTheirTurn(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with({ $0.limits.server.inFlightPerConnectionMax = 2 }) { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            let requests = try (0..<24).map { index in
                let serial = MessageTemplate.freshSerial() + "f\(index)"
                return (serial, try Request.intraBankPayment(serial: serial, amount: "1.00"))
            }
            let answers = try await withThrowingTaskGroup(of: (Int, Reply).self) { group in
                for (index, (_, request)) in requests.enumerated() {
                    group.addTask { (index, try bank.read(try await client.send(request))) }
                }
                var all: [(Int, Reply)] = []
                for try await answer in group { all.append(answer) }
                return all.sorted { $0.0 < $1.0 }
            }
            #expect(answers.count == 24)
            for (index, reply) in answers {
                #expect(reply.serialNo == requests[index].0 && reply.retCode == "0000", "\(reply.summary)")
            }
            let peak = daemon.daemon.inFlight.peak
            #expect(peak >= 1 && peak <= 2, "\(peak) requests were in flight at once on one connection; the limit is 2")
        }
    }
}
