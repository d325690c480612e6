import DirectLinkGateway
import DirectLinkMessage
import DirectLinkServer
import Foundation
import NIOSSL
import Testing

/// Identity, time, idempotency and approval refusals, each with its documented code.
extension DaemonEndToEndTests {
    /// A TLS client the bank's trust store refuses gets no answer at all, and the daemon keeps serving others.
    @Test(arguments: ["untrusted", "revoked"]) func refusedClientCertificateGetsNoService(certificate: String) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            // TLS 1.3 lets the client finish its side of the handshake before the server has checked the client's
            // certificate, so the refusal may show at connect or at the first request; either way nothing is answered.
            // The credentials themselves load, so a failure below is the daemon's refusal.
            _ = try NIOSSLCertificate.fromPEMFile(Repository.pki("\(certificate).pem"))
            _ = try NIOSSLPrivateKey(file: Repository.pki("\(certificate).key"), format: .pem)
            var answered: [UInt8]?
            if let client = try? await daemon.connect(as: certificate) {
                answered = try? await client.send(try Request.signed("balance-query"))
                #expect(await completes(client.closeFuture, within: .seconds(5)), "the daemon must close a refused client")
            }
            #expect(answered == nil, "a \(certificate) client certificate was served")

            let good = try await daemon.connect()
            defer { Task { await good.close() } }
            let reply = try await bank.send(try Request.signed("balance-query"), on: good)
            #expect(reply.retCode == "0000", "\(reply.summary)")
        }
    }

    /// A trusted client certificate whose OU names a corporation the engine does not know is refused in the handshake
    /// (the TLS identity is bound to the registry), not only at each message.
    @Test func clientCertificateOfACorporationOutsideTheRegistryIsRefusedInTheHandshake() async throws {
        var engine = try RunningDaemon.engineConfiguration()
        engine.seed.corporations.removeAll { $0.id == "FUND0001" }
        try await RunningDaemon.with(engineConfiguration: engine) { daemon in
            var answered: [UInt8]?
            if let client = try? await daemon.connect(as: "fund-client") {
                answered = try? await client.send(try Request.signed("server-time"))
                #expect(await completes(client.closeFuture, within: .seconds(5)), "the daemon must close the connection")
            }
            #expect(answered == nil, "a client of an unregistered corporation was served")
            let good = try await daemon.connect()
            defer { Task { await good.close() } }
            #expect(try await Bank().send(try Request.signed("server-time"), on: good).retCode == "0000")
        }
    }

    @Test func messageForAnotherCorporationThanTheTLSIdentityIs6001() async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let corpB = try await daemon.connect(as: "corpb-client")
            defer { Task { await corpB.close() } }
            let reply = try await bank.send(try Request.signed("balance-query"), on: corpB)
            #expect(reply.retCode == "6001", "\(reply.summary)")
            #expect(reply.head("ErrorPath") == "/Message/Head/CorpId")
            #expect(reply.resultName == "ErrorResult")
            // The connection stays open for the corporation it is for.
            let own = try await bank.send(try Request.signed("server-time", by: .corpBMaker, [("CorpId", "CORPB001")]), on: corpB)
            #expect(own.retCode == "0000", "\(own.summary)")
        }
    }

    @Test func signerNotBoundToTheOperatorIs6005() async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            // CORPA001/MAKER01 in the Head, signed with corporation B's maker key (a valid chain, the wrong person).
            let reply = try await bank.send(try Request.signed("balance-query", by: .corpBMaker), on: client)
            #expect(reply.retCode == "6005", "\(reply.summary)")
            #expect(reply.head("ErrorPath") == "/Message/Head/OperatorId")
        }
    }

    @Test func staleTimestampIs5001WithServerTime() async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            let serial = MessageTemplate.freshSerial()
            let reply = try await bank.send(try Request.intraBankPayment(serial: serial, timestamp: Date().addingTimeInterval(-3600)), on: client)
            #expect(reply.retCode == "5001", "\(reply.summary)")
            #expect(reply.head("ErrorPath") == "/Message/Head/Timestamp")
            let serverTime = try #require(reply.head("ServerTime"), "TIME.WINDOW must carry ServerTime")
            #expect(abs((Timestamps.parse(serverTime) ?? .distantPast).timeIntervalSinceNow) < 60)
            // Nothing was booked: the same serial with a good Timestamp is a new payment.
            let retry = try await bank.send(try Request.intraBankPayment(serial: serial), on: client)
            #expect(retry.retCode == "0000", "\(retry.summary)")
            #expect(retry.field("Status") == "SETTLED")
        }
    }

    @Test func resentSerialWithSameContentGetsTheOriginalBytes() async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            let serial = MessageTemplate.freshSerial()
            let first = try await client.send(try Request.intraBankPayment(serial: serial))
            #expect(try bank.read(first).field("Status") == "SETTLED")
            // A new Timestamp and therefore a new signature; the same TxCode, OperatorId and Body.
            let resend = try Request.intraBankPayment(serial: serial, timestamp: Date().addingTimeInterval(7))
            let second = try await client.send(resend)
            #expect(second == first, "a resend must get the original response byte for byte")
            // Paid once.
            let balances = try await bank.send(try Request.signed("balance-query"), on: client)
            #expect(balances.all("Account").first?.field("Balance") == "9987500.00")
        }
    }

    @Test func resentSerialWithDifferentAmountIs8501NamingAmount() async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            let serial = MessageTemplate.freshSerial()
            #expect(try await bank.send(try Request.intraBankPayment(serial: serial), on: client).retCode == "0000")
            let conflict = try await bank.send(try Request.intraBankPayment(serial: serial, amount: "12600.00"), on: client)
            #expect(conflict.retCode == "8501", "\(conflict.summary)")
            let path = try #require(conflict.head("ErrorPath"))
            #expect(path.hasSuffix("/Amount"), "ErrorPath \(path)")
            let balances = try await bank.send(try Request.signed("balance-query"), on: client)
            #expect(balances.all("Account").first?.field("Balance") == "9987500.00")
        }
    }

    @Test func makerApprovingOwnPaymentIs7503() async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            let serial = MessageTemplate.freshSerial()
            let order = try Request.intraBankPayment(serial: serial, amount: Seed.largeAmount)
            #expect(try await bank.send(order, on: client).field("Status") == "PENDING_APPROVAL")
            let own = try await bank.send(try Request.signed("approve", by: .corpAMaker, [
                ("OperatorId", "MAKER01"), ("OrigSerialNo", serial), ("OrderDigest", try bank.orderDigest(order)),
            ]), on: client)
            #expect(own.retCode == "7503", "\(own.summary)")
            let status = try await bank.send(try Request.signed("payment-status", [("OrigSerialNo", serial)]), on: client)
            #expect(status.field("Status") == "PENDING_APPROVAL")
        }
    }
}

/// Requests the verifier refuses still get a signed response, and the client can verify it: the bank's signature
/// checks out and the document is valid under the schema (whose Head makes the echoed fields optional for exactly
/// this case).
extension DaemonEndToEndTests {
    struct Unreadable: Sendable, CustomTestStringConvertible {
        let name: String
        let expected: String
        let build: @Sendable () throws -> [UInt8]
        var testDescription: String { "\(name) → \(expected)" }
    }

    static let unreadable: [Unreadable] = [
        Unreadable(name: "malformed XML", expected: "1108") {
            Array(try Request.make("balance-query").dropLast(12))
        },
        Unreadable(name: "schema violation (PageSize 501)", expected: "2002") {
            try Request.signed("detail-query", [("PageSize", "501")])
        },
        Unreadable(name: "unsigned", expected: "3001") {
            try Request.make("balance-query")
        },
        Unreadable(name: "altered after signing", expected: "3012") {
            let signed = String(decoding: try Request.intraBankPayment(amount: "10.00"), as: UTF8.self)
            return Array(signed.replacingOccurrences(of: "<Amount>10.00</Amount>", with: "<Amount>99.00</Amount>").utf8)
        },
    ]

    @Test(arguments: unreadable) func requestRefusedByTheVerifierGetsAVerifiableSignedResponse(_ request: Unreadable) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            let bytes = try await client.send(try request.build())
            let text = String(decoding: bytes, as: UTF8.self)
            // Read the code first, so a failure to verify below still shows what the daemon said.
            #expect(text.contains("<RetCode>\(request.expected)</RetCode>"), "\(text.prefix(600))")
            let reply = try bank.read(bytes)
            #expect(reply.retCode == request.expected, "\(reply.summary)")
            #expect(reply.resultName == "ErrorResult")
            // The connection stays open: only unreadable frames close it.
            #expect(try await bank.send(try Request.signed("server-time"), on: client).retCode == "0000")
        }
    }
}
