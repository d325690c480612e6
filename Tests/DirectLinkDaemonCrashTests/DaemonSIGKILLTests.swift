import DirectLinkAudit
import DirectLinkCrypto
import DirectLinkEngine
import DirectLinkGateway
import DirectLinkMessage
import DirectLinkServer
import DirectLinkXML
import Foundation
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` of the real daemon under load: every payment whose signed response reached the client is there after a
/// restart, exactly once, with the very same response bytes on resend; SIGTERM then drains and exits 0; the ledger
/// invariants hold.
@Suite(.serialized) struct DaemonSIGKILLTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let pki = root.appendingPathComponent("Fixtures/pki").path
    static let acknowledgementsBeforeKill = 120

    struct Failure: Error, CustomStringConvertible { let description: String }

    static func binary() throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates: [URL] = []
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("directlink"))
            directory = directory.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw Failure(description: "the directlink executable was not built next to the tests; run `swift build` first")
        }
        return found
    }

    /// Starts `directlink serve` on free ports and returns the process and its listen port.
    static func startDaemon(data: String, config: String? = nil) throws -> (Process, Int, FileHandle) {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = ["serve", "--config", config ?? root.appendingPathComponent("conf/directlink.json").path,
                             "--port", "0", "--admin-port", "0", "--data", data]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let reader = output.fileHandleForReading
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.contains("directlink listening") }),
               let range = line.firstRange(of: " port="),
               let port = Int(line[range.upperBound...].prefix { $0.isNumber }) {
                return (process, port, reader)
            }
        }
        process.terminate()
        throw Failure(description: "the daemon did not report its port: \(text)")
    }

    static func connect(_ port: Int) async throws -> DirectLinkClient {
        try await DirectLinkClient.connect(
            host: "127.0.0.1", port: port,
            credentials: .init(certificatePath: "\(pki)/corpa-client.pem", privateKeyPath: "\(pki)/corpa-client.key", trustedCAPath: "\(pki)/ca-bundle.pem"),
            group: MultiThreadedEventLoopGroup.singleton)
    }

    static func payment(serial: String) -> [UInt8] {
        Array("""
        <?xml version="1.0" encoding="UTF-8"?>
        <Message xmlns="urn:directlink:1"><Head><TxCode>PAY.SINGLE</TxCode><CorpId>CORPA001</CorpId><OperatorId>MAKER01</OperatorId>\
        <SerialNo>\(serial)</SerialNo><Timestamp>\(Timestamps.format(Date()))</Timestamp></Head><Body><SinglePayment>\
        <DebitAccount>6229000100000001</DebitAccount><CreditAccount>6229000100000002</CreditAccount><CreditName>一般户</CreditName>\
        <Amount>1.00</Amount></SinglePayment></Body></Message>
        """.utf8)
    }

    static func status(serial: String, query: String) -> [UInt8] {
        Array("""
        <?xml version="1.0" encoding="UTF-8"?>
        <Message xmlns="urn:directlink:1"><Head><TxCode>PAY.STATUS</TxCode><CorpId>CORPA001</CorpId><OperatorId>MAKER01</OperatorId>\
        <SerialNo>\(query)</SerialNo><Timestamp>\(Timestamps.format(Date()))</Timestamp></Head><Body><PaymentStatusQuery>\
        <OrigSerialNo>\(serial)</OrigSerialNo></PaymentStatusQuery></Body></Message>
        """.utf8)
    }

    @Test func acknowledgedPaymentsSurviveKill9AndSigtermDrains() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("daemon-crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let signer = try MessageSigner(keyPath: "\(Self.pki)/corpa-maker-ec.key", certificatePath: "\(Self.pki)/corpa-maker-ec.pem")
        let verifier = MessageVerifier(trust: try TrustStore(caBundlePath: "\(Self.pki)/ca-bundle.pem", crlPaths: ["\(Self.pki)/crls.pem"]), schema: nil)
        let run = UUID().uuidString.prefix(6)

        // Load, then kill -9 once enough payments have been acknowledged.
        let (first, port, _) = try Self.startDaemon(data: data)
        let acknowledged = Acknowledgements()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<6 {
                group.addTask {
                    guard let client = try? await Self.connect(port) else { return }
                    for index in 0..<200 {
                        let serial = "K\(run)w\(worker)n\(index)"
                        guard let request = try? signer.signXML(Self.payment(serial: serial)),
                              let response = try? await client.send(request) else { return }
                        guard let verified = try? verifier.verify(response), verified.head.retCode == RetCode.ok.rawValue else { return }
                        if acknowledged.add(serial, response) >= Self.acknowledgementsBeforeKill {
                            kill(first.processIdentifier, SIGKILL)
                        }
                    }
                }
            }
        }
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)
        let acks = acknowledged.all
        #expect(acks.count >= Self.acknowledgementsBeforeKill)

        // Restart on the same data: every acknowledged payment is settled, and a resend returns the original bytes.
        let (second, port2, _) = try Self.startDaemon(data: data)
        let client = try await Self.connect(port2)
        for (offset, (serial, original)) in acks.enumerated() {
            let response = try await client.send(try signer.signXML(Self.status(serial: serial, query: "Q\(run)\(offset)")))
            let verified = try verifier.verify(response)
            #expect(verified.head.retCode == RetCode.ok.rawValue, "status of \(serial)")
            #expect(verified.transaction.child("Status", in: Namespace.directLink)?.text == "SETTLED", "status of \(serial)")
            if offset % 10 == 0 {
                let again = try await client.send(try signer.signXML(Self.payment(serial: serial)))
                #expect(again == original, "resent \(serial) must get the original response bytes")
            }
        }
        await client.close()

        // SIGTERM drains and exits 0.
        kill(second.processIdentifier, SIGTERM)
        second.waitUntilExit()
        #expect(second.terminationReason == .exit)
        #expect(second.terminationStatus == 0)

        // The audit log survived the kill: it verifies (torn tail cut on restart) and holds every acknowledged
        // exchange, the response exactly as the client received it.
        let auditDirectory = URL(fileURLWithPath: data).appendingPathComponent("audit")
        let audit = try Certificate(pem: [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(Self.pki)/bank-audit.pem"))))
        let summary = try AuditVerifier(trust: try TrustStore(caBundlePath: "\(Self.pki)/ca-bundle.pem", crlPaths: ["\(Self.pki)/crls.pem"]),
                                        auditCertificateFingerprint: audit.fingerprintSHA256).verify(directory: auditDirectory)
        #expect(summary.recordsAfterLastCheckpoint == 0, "the shutdown checkpoint covers every record")
        var responses: [String: [UInt8]] = [:]
        _ = try AuditLogReader.read(directory: auditDirectory) { _, record, _ in
            if record.direction == .outbound, record.txCode == "PAY.SINGLE", responses[record.serialNo] == nil {
                responses[record.serialNo] = record.bytes
            }
        }
        for (serial, original) in acks {
            #expect(responses[serial] == original, "acknowledged \(serial) is in the audit log with the bytes the client got")
        }

        // The ledger balances and each acknowledged serial exists exactly once.
        let configuration = try EngineConfiguration.load(directory: Self.root.appendingPathComponent("conf/engine"))
        let engine = try TransactionEngine.open(path: data + "/directlink.sqlite", configuration: configuration)
        defer { engine.close() }
        #expect(try await engine.verifyInvariants().isEmpty)
    }
}

final class Acknowledgements: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(String, [UInt8])] = []

    func add(_ serial: String, _ response: [UInt8]) -> Int {
        lock.withLock {
            entries.append((serial, response))
            return entries.count
        }
    }

    var all: [(String, [UInt8])] { lock.withLock { entries } }
}
