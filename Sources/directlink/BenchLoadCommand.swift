import ArgumentParser
import DirectLinkCrypto
import DirectLinkEngine
import DirectLinkGateway
import DirectLinkMessage
import DirectLinkServer
import Foundation
import Logging

/// End-to-end throughput of the daemon over real mutual TLS: durable intra-bank payments, signed before the timed
/// phase, sent on N connections; a sample of responses is verified. Printed beside the crypto bound: OpenSSL's
/// measured rate for one client-signature verify plus one bank response signature, times the machine's cores.
struct BenchLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "End-to-end daemon throughput and latency over mutual TLS, beside the crypto bound."
    )

    @Option(help: "host:port of a running daemon; by default a daemon is started in this process on a temp database.") var server: String?
    @Option(help: "Concurrent connections.") var connections: Int = 64
    @Option(help: "Messages in the timed phase.") var messages: Int = 20_000
    @Option(help: "Operator key type signing the requests: rsa, ec or sm2.") var keyType: String = "ec"
    @Option(help: "Bank signing key type of the in-process daemon: rsa or ec.") var bankKeyType: String = "ec"
    @Flag(help: "Use HTTP/1.1 instead of the classic framing.") var http = false
    @Option(help: "Audit log of the in-process daemon: on, off, or both (runs alternating off and on, reported side by side).") var audit: String = "both"
    @Option(help: "Override conf's audit.gatherMilliseconds for the in-process daemon.") var auditGatherMs: Double?
    @Option(help: "Put the in-process daemon's audit log in this folder (a subfolder per round) instead of beside its database, e.g. on a device of its own.") var auditDirectory: String?
    @Option(help: "Rounds per setting; the median is reported (this VM's runs vary by ±10%). With --interleave-seconds: pairs of slices.") var rounds: Int = 3
    @Option(help: "With --audit both: run both daemons side by side and alternate the load between them in slices of this many seconds, instead of whole rounds (--messages is then each daemon's budget).") var interleaveSeconds: Double?
    @Option(help: "Demo PKI folder.") var pki: String = ResourceLocator.path("Fixtures/pki")

    func run() async throws {
        guard connections > 0, messages >= connections else { throw ValidationError("need messages >= connections > 0") }
        guard ["on", "off", "both"].contains(audit) else { throw ValidationError("--audit takes on, off or both") }
        let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        if let interleaveSeconds {
            guard interleaveSeconds > 0, audit == "both", server == nil else {
                throw ValidationError("--interleave-seconds takes a positive number, with --audit both and no --server")
            }
            print("directlink bench load: PAY.SINGLE (intra-bank, durable) on \(connections) connections per daemon, operator key \(keyType), bank key \(bankKeyType), audit off and on interleaved in \(interleaveSeconds) s slices, \(rounds) pairs")
            try await runInterleaved(seconds: interleaveSeconds, logger: logger)
            return
        }
        let modes: [Bool] = server != nil ? [true] : (audit == "both" ? [false, true] : [audit == "on"])
        print("directlink bench load: \(messages) PAY.SINGLE (intra-bank, durable) on \(connections) connections, operator key \(keyType), bank key \(bankKeyType), \(rounds) rounds")
        var outcomes: [Bool: [Outcome]] = [:]
        for round in 1...max(1, rounds) {
            // Alternate which setting goes first, so warm-up and drift within a pair do not favour one of them.
            for auditOn in round % 2 == 1 ? modes : modes.reversed() {
                let (host, port, stop) = try await target(logger: logger, auditOn: auditOn)
                let requests = try signRequests()
                let result = try await drive(requests, host: host, port: port)
                await stop()
                outcomes[auditOn, default: []].append(result)
                let label = server != nil ? "daemon   " : (auditOn ? "audit on " : "audit off")
                print(String(format: "round %d %@  throughput %.0f messages/s (%.2f s)  latency p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  verified sample %d",
                             round, label, Double(messages) / result.seconds, result.seconds, result.p50, result.p99, result.p999, result.verified))
            }
        }
        let bound = try cryptoBound()
        print(String(format: "crypto bound %.0f messages/s (%d cores × 1/(1/verify %.0f + 1/sign %.0f))",
                     bound.rate, bound.cores, bound.verify, bound.sign))
        var medians: [Bool: Double] = [:]
        for auditOn in modes {
            let runs = outcomes[auditOn] ?? []
            let rate = Self.median(runs.map { Double(messages) / $0.seconds })
            medians[auditOn] = rate
            let label = server != nil ? "daemon   " : (auditOn ? "audit on " : "audit off")
            print(String(format: "median %@  %.0f messages/s = %.0f%% of the crypto bound  p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms",
                         label, rate, 100 * rate / bound.rate, Self.median(runs.map(\.p50)), Self.median(runs.map(\.p99)), Self.median(runs.map(\.p999))))
        }
        if let on = medians[true], let off = medians[false] {
            print(String(format: "audit log cost (medians): %.1f%% of throughput", 100 * (off - on) / off))
            // Each round's off and on ran back to back, so their ratio is less exposed to the VM's drift over minutes.
            let offRuns = outcomes[false] ?? [], onRuns = outcomes[true] ?? []
            var paired: [Double] = []
            for (offRun, onRun) in zip(offRuns, onRuns) {
                paired.append(100 * (1 - offRun.seconds / onRun.seconds))
            }
            let list = paired.map { String(format: "%.1f", $0) }.joined(separator: ", ")
            print(String(format: "audit log cost (median of %d paired rounds): %.1f%% of throughput", paired.count, Self.median(paired))
                  + " (rounds: \(list))")
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// The daemon to load: the given one, or a fresh in-process daemon with limits raised so that every rule is
    /// still evaluated but none refuses.
    func target(logger: Logger, auditOn: Bool) async throws -> (String, Int, @Sendable () async -> Void) {
        if let server {
            let parts = server.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--server takes host:port") }
            return (String(parts[0]), port, {})
        }
        var configuration = InProcessDaemon.ephemeral(try DaemonConfiguration.load(path: ResourceLocator.path("conf/directlink.json")),
                                                      prefix: "directlink-bench")
        configuration.limits.server.connectionsPerCorpMax = max(configuration.limits.server.connectionsPerCorpMax, connections)
        configuration.audit.enabled = auditOn
        if let auditGatherMs { configuration.audit.gatherMilliseconds = auditGatherMs }
        if let auditDirectory {
            configuration.audit.directory = URL(fileURLWithPath: auditDirectory).appendingPathComponent("bench-\(UUID().uuidString)").path
        }
        if bankKeyType == "ec" {
            configuration.signing.certificate = "\(pki)/bank-signing-ec.pem"
            configuration.signing.privateKey = "\(pki)/bank-signing-ec.key"
        }
        var engine = try EngineConfiguration.load(directory: URL(fileURLWithPath: configuration.path(configuration.engine)))
        engine.limits = engine.limits.map { rule in
            var raised = rule
            raised.max = Int64.max / 4
            return raised
        }
        let running = try await InProcessDaemon.start(configuration: configuration, logger: logger, engineConfiguration: engine)
        let separateLog = auditDirectory != nil ? configuration.audit.directory : nil
        return ("127.0.0.1", running.port, {
            try? await running.stop()
            if let separateLog { try? FileManager.default.removeItem(atPath: separateLog) }
        })
    }

    func signRequests() throws -> [[UInt8]] {
        let signer = try MessageSigner(keyPath: "\(pki)/corpa-maker-\(keyType).key", certificatePath: "\(pki)/corpa-maker-\(keyType).pem")
        let template = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Message xmlns="urn:directlink:1"><Head><TxCode>PAY.SINGLE</TxCode><CorpId>CORPA001</CorpId><OperatorId>MAKER01</OperatorId>\
        <SerialNo>SERIAL</SerialNo><Timestamp>TIME</Timestamp></Head><Body><SinglePayment><DebitAccount>6229000100000001</DebitAccount>\
        <CreditAccount>6229000100000002</CreditAccount><CreditName>华东精密机械有限公司 一般户</CreditName><Amount>1.00</Amount>\
        <Currency>CNY</Currency><Purpose>bench</Purpose></SinglePayment></Body></Message>
        """
        let now = Timestamps.format(Date())
        let run = UUID().uuidString.prefix(8)
        // Split once: replacing the placeholders in every copy cost more than signing it.
        let serialParts = template.components(separatedBy: "SERIAL")
        let timeParts = serialParts[1].components(separatedBy: "TIME")
        let head = Array(serialParts[0].utf8), middle = Array(timeParts[0].utf8), tail = Array((now + timeParts[1]).utf8)
        return try (0..<messages).map { index in
            try signer.signXML(head + Array("B\(run)\(index)".utf8) + middle + tail)
        }
    }

    struct Outcome {
        var seconds: Double
        var p50: Double
        var p99: Double
        var p999: Double
        var verified: Int
    }

    /// One whole round: every request, on fresh connections.
    private func drive(_ requests: [[UInt8]], host: String, port: Int) async throws -> Outcome {
        var lanes = try await connect(host: host, port: port, requests: requests)
        let slice = try await runSlice(&lanes, verifier: try sampleVerifier(), until: nil)
        await close(lanes)
        return slice.outcome
    }

    func cryptoBound() throws -> (rate: Double, cores: Int, verify: Double, sign: Double) {
        let client = try MessageSigner(keyPath: "\(pki)/corpa-maker-\(keyType).key", certificatePath: "\(pki)/corpa-maker-\(keyType).pem")
        let bankName = bankKeyType == "ec" ? "bank-signing-ec" : "bank-signing"
        let bank = try MessageSigner(keyPath: "\(pki)/\(bankName).key", certificatePath: "\(pki)/\(bankName).pem")
        let verify = try RawCryptoBench.verifyRate(certificate: client.certificate, key: client.key,
                                                   algorithm: try SignatureProfile.methods(for: client.key.keyType).algorithm, seconds: 1)
        let sign = try RawCryptoBench.signRate(key: bank.key, algorithm: try SignatureProfile.methods(for: bank.key.keyType).algorithm, seconds: 1)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return (Double(cores) / (1 / verify + 1 / sign), cores, verify, sign)
    }
}
