import DirectLinkAudit
import DirectLinkEngine
import DirectLinkMessage
import DirectLinkServer
import Foundation
import ServiceLifecycle
import Testing

/// SIGHUP (trust reload) and SIGTERM (graceful drain), driven in-process.
extension DaemonEndToEndTests {
    @Test func trustReloadKeepsOpenConnectionsServing() async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            #expect(try await bank.send(try Request.signed("balance-query"), on: client).retCode == "0000")
            try daemon.daemon.reloadTrust()
            // The same connection, after the reload: a message verified with the new store.
            let after = try await bank.send(try Request.intraBankPayment(), on: client)
            #expect(after.retCode == "0000", "\(after.summary)")
            #expect(after.field("Status") == "SETTLED")
            // And a new handshake checks the client against the new store.
            let fresh = try await daemon.connect()
            defer { Task { await fresh.close() } }
            #expect(try await bank.send(try Request.signed("server-time"), on: fresh).retCode == "0000")
        }
    }

    /// A CRL published while the daemon runs takes effect on reload (SIGHUP's path) without a restart and without
    /// dropping the connection: the operator's next message is refused as revoked, the connection still serves others.
    @Test func reloadedCRLRevokesAnOperatorOnAnOpenConnection() async throws {
        let bank = try Bank()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("directlink-crl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let crls = folder.appendingPathComponent("crls.pem")
        try FileManager.default.copyItem(atPath: Repository.pki("crls.pem"), toPath: crls.path)
        try await RunningDaemon.with({ $0.trust.crls = [crls.path] }) { daemon in
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            #expect(try await bank.send(try Request.signed("balance-query"), on: client).retCode == "0000")

            // The issuing CA revokes MAKER01's signing certificate; the new CRL replaces the file.
            try Self.openssl(["ca", "-revoke", Repository.pki("corpa-maker-ec.pem")], folder: folder)
            try Self.openssl(["ca", "-gencrl", "-out", folder.appendingPathComponent("intermediate.crl.pem").path], folder: folder)
            let root = try Data(contentsOf: URL(fileURLWithPath: Repository.pki("crl/root.crl.pem")))
            let intermediate = try Data(contentsOf: folder.appendingPathComponent("intermediate.crl.pem"))
            try (root + intermediate).write(to: crls)
            try await daemon.daemon.reload()

            let refused = try await bank.send(try Request.signed("balance-query"), on: client)
            #expect(refused.retCode == RetCode.certificateRevoked.rawValue, "\(refused.summary)")
            let other = try await bank.send(try Request.signed("pending-approvals", by: .corpAApprover1), on: client)
            #expect(other.retCode == "0000", "the same connection serves an operator not revoked: \(other.summary)")
        }
    }

    /// `openssl ca …` with a throwaway database in `folder`, as the demo's issuing CA.
    static func openssl(_ arguments: [String], folder: URL) throws {
        let index = folder.appendingPathComponent("index.txt")
        if !FileManager.default.fileExists(atPath: index.path) { try Data().write(to: index) }
        let config = folder.appendingPathComponent("ca.cnf")
        try Data("[ca]\ndefault_ca = CA_default\n[CA_default]\ndatabase = \(index.path)\ndefault_md = sha256\ndefault_crl_days = 30\n".utf8).write(to: config)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments + ["-config", config.path, "-keyfile", Repository.pki("intermediate-ca.key"),
                                         "-cert", Repository.pki("intermediate-ca.pem")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HarnessFailure("openssl \(arguments.joined(separator: " ")) failed") }
    }

    @Test func fullReloadKeepsOpenConnectionsServing() async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: .http)
            defer { Task { await client.close() } }
            #expect(try await bank.send(try Request.signed("server-time"), on: client).retCode == "0000")
            try await daemon.daemon.reload()
            let after = try await bank.send(try Request.intraBankPayment(), on: client)
            #expect(after.retCode == "0000", "\(after.summary)")
        }
    }

    /// Graceful shutdown with payments in flight: every response the daemon wrote reaches the client before the
    /// connection closes, every acknowledged payment is in the database afterwards, and a request the daemon did
    /// not answer was not executed.
    @Test(arguments: framings) func gracefulShutdownAnswersWhatItReadAndKeepsEveryAcknowledgedPayment(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        let daemon = try await RunningDaemon.start()
        defer { try? FileManager.default.removeItem(atPath: daemon.dataDirectory) }
        var clients: [DirectLinkClient] = []
        for _ in 0..<4 { clients.append(try await daemon.connect(framing: framing)) }
        let prefix = MessageTemplate.freshSerial()
        var orders: [(serial: String, request: [UInt8], client: Int)] = []
        for index in 0..<120 {
            let serial = "\(prefix)d\(index)"
            orders.append((serial, try Request.intraBankPayment(serial: serial, amount: "1.00"), index % clients.count))
        }
        let sent = Outcomes()
        let (connections, work) = (clients, orders)
        let senders = Task {
            await withTaskGroup(of: Void.self) { group in
                for order in work {
                    let client = connections[order.client]
                    group.addTask {
                        do {
                            let bytes = try await client.send(order.request)
                            sent.record(order.serial, .answered(bytes))
                        } catch {
                            sent.record(order.serial, .unanswered("\(error)"))
                        }
                    }
                }
            }
        }
        // Shut down while payments are on the wire and in the engine (the first answers arrive within milliseconds).
        try await Task.sleep(for: .milliseconds(5))
        try await daemon.stop(removingData: false)
        await senders.value

        let outcomes = sent.all
        #expect(outcomes.count == orders.count, "every send must end, answered or not")
        var acknowledged: [String] = []
        var unanswered: [String] = []
        for (serial, outcome) in outcomes {
            switch outcome {
            case .answered(let bytes):
                let reply = try bank.read(bytes)
                #expect(reply.retCode == "0000", "\(serial): \(reply.summary)")
                #expect(reply.serialNo == serial)
                acknowledged.append(serial)
            case .unanswered:
                unanswered.append(serial)
            }
        }

        // Reopen the database the daemon drained into.
        let engine = try TransactionEngine.open(path: daemon.dataDirectory + "/directlink.sqlite", configuration: try RunningDaemon.engineConfiguration())
        defer { engine.close() }
        for serial in acknowledged {
            let view = try await engine.paymentStatus(corporation: "CORPA001", reference: .serial(serial))
            #expect(view.status == .settled, "acknowledged \(serial) is \(view.status)")
        }
        for serial in unanswered {
            // Never read by the daemon, so never executed (the client must resend it with the same serial).
            let view = try? await engine.paymentStatus(corporation: "CORPA001", reference: .serial(serial))
            #expect(view == nil, "\(serial) was executed but its response never reached the client")
        }
        #expect(try await engine.verifyInvariants() == [])
        let balances = try await engine.balances(corporation: "CORPA001", accounts: [Seed.basicAccount])
        #expect(balances.first?.balanceMinor == 1_000_000_000 - 100 * Int64(acknowledged.count))
        for client in clients { await client.close() }
    }
}

/// What each send of the drain test ended with.
final class Outcomes: @unchecked Sendable {
    enum Outcome { case answered([UInt8]), unanswered(String) }
    private let lock = NSLock()
    private var entries: [(String, Outcome)] = []

    func record(_ serial: String, _ outcome: Outcome) {
        lock.withLock { entries.append((serial, outcome)) }
    }

    var count: Int { lock.withLock { entries.count } }
    var all: [(String, Outcome)] { lock.withLock { entries } }
}

extension DaemonEndToEndTests {
    /// A daemon that cannot bind its port must fail its `run()` and let `waitUntilStarted()` return nil, not hang
    /// whoever waits for the ports.
    /// `audit.directory` puts the log on a folder (a device) of its own; nothing of it lands in the data directory.
    @Test func auditLogGoesWhereAuditDirectorySays() async throws {
        let auditDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("directlink-audit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: auditDirectory) }
        let bank = try Bank()
        let daemon = try await RunningDaemon.start { $0.audit.directory = auditDirectory.path }
        defer { try? FileManager.default.removeItem(atPath: daemon.dataDirectory) }
        let client = try await daemon.connect()
        let serial = MessageTemplate.freshSerial()
        let reply = try await bank.send(try Request.intraBankPayment(serial: serial), on: client)
        #expect(reply.retCode == "0000", "\(reply.message.head)")
        await client.close()
        try await daemon.stop(removingData: false)
        #expect(!FileManager.default.fileExists(atPath: daemon.dataDirectory + "/audit"))
        var serials: [String] = []
        let contents = try AuditLogReader.read(directory: auditDirectory) { _, record, _ in serials.append(record.serialNo) }
        #expect(serials.filter { $0 == serial }.count == 2, "the request and its response")
        // The final checkpoint, signed on shutdown, covers everything.
        #expect(contents.checkpoints.last?.treeSize == contents.tree.size)
    }

    @Test func daemonThatCannotBindReportsItInsteadOfHanging() async throws {
        try await RunningDaemon.with { running in
            let configuration = try RunningDaemon.configuration { $0.listen.port = running.port }
            defer { try? FileManager.default.removeItem(atPath: configuration.path(configuration.dataDirectory)) }
            let blocked = try Daemon(configuration: configuration, logger: harnessLogger())
            let group = ServiceGroup(configuration: .init(services: [.init(service: blocked)], logger: harnessLogger()))
            let task = Task { try await group.run() }
            let outcome = await task.result
            #expect(throws: (any Error).self, "binding a port in use must fail") { try outcome.get() }
            let ports: (listen: Int, admin: Int)?? = await firstOf([
                { .some(await blocked.waitUntilStarted()) },
                { try? await Task.sleep(for: .seconds(3)); return .none },
            ])
            #expect(ports != nil, "waitUntilStarted() still blocks 3 s after run() failed")
            if let ports { #expect(ports == nil, "no ports were bound") }
        }
    }
}
