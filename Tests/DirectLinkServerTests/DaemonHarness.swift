import DirectLinkCrypto
import DirectLinkEngine
import DirectLinkGateway
import DirectLinkMessage
import DirectLinkServer
import DirectLinkXML
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing

/// The repository: fixtures, keys and `conf/` are read from it exactly as the daemon reads them.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    static func pki(_ file: String) -> String { path("Fixtures/pki/\(file)") }
}

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Logs are dropped unless `DIRECTLINK_E2E_LOG=1` (then `warning`+ goes to stderr).
func harnessLogger() -> Logger {
    if ProcessInfo.processInfo.environment["DIRECTLINK_E2E_LOG"] == "1" {
        var logger = Logger(label: "directlink-e2e", factory: { label in StreamLogHandler.standardError(label: label) })
        logger.logLevel = Logger.Level.warning
        return logger
    }
    return Logger(label: "directlink-e2e", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// A `Daemon` run in-process (`InProcessDaemon`), on ephemeral ports, with a fresh data directory.
final class RunningDaemon: Sendable {
    let running: InProcessDaemon
    var daemon: Daemon { running.daemon }
    var port: Int { running.port }
    var dataDirectory: String { running.dataDirectory }

    private init(running: InProcessDaemon) {
        self.running = running
    }

    /// `conf/directlink.json` with a temporary data directory and port 0 for both listeners; `adjust` may lower limits.
    static func configuration(_ adjust: (inout DaemonConfiguration) -> Void = { _ in }) throws -> DaemonConfiguration {
        var configuration = InProcessDaemon.ephemeral(try DaemonConfiguration.load(path: Repository.path("conf/directlink.json")),
                                                      prefix: "directlink-e2e")
        adjust(&configuration)
        try configuration.check()
        return configuration
    }

    static func start(_ adjust: (inout DaemonConfiguration) -> Void = { _ in },
                      engineConfiguration: EngineConfiguration? = nil) async throws -> RunningDaemon {
        RunningDaemon(running: try await InProcessDaemon.start(configuration: try configuration(adjust), logger: harnessLogger(),
                                                               engineConfiguration: engineConfiguration))
    }

    /// Graceful shutdown (what SIGTERM does), then waits for `run()` to return.
    func stop(removingData: Bool = true) async throws {
        try await running.stop(removingData: removingData)
    }

    /// Runs `body` against a fresh daemon and always stops it.
    static func with<T>(_ adjust: (inout DaemonConfiguration) -> Void = { _ in }, engineConfiguration: EngineConfiguration? = nil,
                        _ body: (RunningDaemon) async throws -> T) async throws -> T {
        let running = try await start(adjust, engineConfiguration: engineConfiguration)
        do {
            let result = try await body(running)
            try await running.stop()
            return result
        } catch {
            try? await running.stop()
            throw error
        }
    }

    /// A mutual-TLS client with the TLS identity `certificate` (`corpa-client`, `corpb-client`, `untrusted`, …).
    func connect(as certificate: String = "corpa-client", framing: DirectLinkClient.Framing = .classic) async throws -> DirectLinkClient {
        try await DirectLinkClient.connect(
            host: "127.0.0.1", port: port,
            credentials: .init(certificatePath: Repository.pki("\(certificate).pem"), privateKeyPath: Repository.pki("\(certificate).key"),
                               trustedCAPath: Repository.pki("ca-bundle.pem")),
            framing: framing, group: MultiThreadedEventLoopGroup.singleton)
    }

    /// The daemon's own engine configuration (to reopen the database after a stop).
    static func engineConfiguration() throws -> EngineConfiguration {
        try EngineConfiguration.load(directory: Repository.root.appendingPathComponent("conf/engine"))
    }
}

/// Operators' signing keys (Fixtures/pki): who signs a request.
enum Operator: String, Sendable {
    case corpAMaker = "corpa-maker-ec"
    case corpAMakerRSA = "corpa-maker-rsa"
    case corpAApprover1 = "corpa-approver1"
    case corpAApprover2 = "corpa-approver2"
    case corpAAdmin = "corpa-admin"
    case corpBMaker = "corpb-maker-ec"

    func signer() throws -> MessageSigner {
        try MessageSigner(keyPath: Repository.pki("\(rawValue).key"), certificatePath: Repository.pki("\(rawValue).pem"))
    }
}

/// Seed data (conf/engine/seed.json, routing.json) the tests rely on.
enum Seed {
    static let basicAccount = "6229000100000001"      // CORPA001 基本户, 10,000,000.00, overdraft 500,000.00
    static let generalAccount = "6229000100000002"    // CORPA001 一般户, 2,000,000.00
    static let corpBAccount = "6229000200000001"
    static let ownBankCode = "999999000001"
    /// CORPA001 rule A-LARGE: from 100,000.00 one approver then one admin must approve.
    static let largeAmount = "150000.00"
}

/// Requests built from the unsigned templates in Fixtures/messages/corpa.
enum Request {
    /// `template` (e.g. "balance-query") with a fresh Timestamp and SerialNo, then `fields` replaced (first occurrence).
    /// `text` then replaces literal text (to add elements the template lacks).
    static func make(_ template: String, serial: String = MessageTemplate.freshSerial(), timestamp: Date = Date(),
                     _ fields: [(String, String)] = [], text edits: [(String, String)] = []) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: Repository.path("Fixtures/messages/corpa/\(template).xml")) else {
            throw HarnessFailure("no template \(template)")
        }
        let filled = try MessageTemplate.fill([UInt8](data), timestamp: timestamp, serial: serial)
        var text = String(decoding: filled, as: UTF8.self)
        for (name, value) in fields {
            let replaced = MessageTemplate.replaceElement(name, in: text, with: value)
            guard replaced != text || text.contains("<\(name)>\(value)</\(name)>") else { throw HarnessFailure("\(template) has no <\(name)>") }
            text = replaced
        }
        for (target, replacement) in edits {
            guard text.contains(target) else { throw HarnessFailure("\(template) has no \(target)") }
            text = text.replacingOccurrences(of: target, with: replacement)
        }
        return Array(text.utf8)
    }

    static func signed(_ template: String, by signer: Operator = .corpAMaker, serial: String = MessageTemplate.freshSerial(),
                       timestamp: Date = Date(), _ fields: [(String, String)] = [], text edits: [(String, String)] = []) throws -> [UInt8] {
        try signer.signer().signXML(make(template, serial: serial, timestamp: timestamp, fields, text: edits))
    }

    /// A PAY.SINGLE to one of CORPA001's own accounts at this bank (settles internally at once).
    static func intraBankPayment(serial: String = MessageTemplate.freshSerial(), amount: String = "12500.00",
                                 timestamp: Date = Date()) throws -> [UInt8] {
        try signed("single-payment", serial: serial, timestamp: timestamp, [
            ("CreditAccount", Seed.generalAccount), ("CreditName", "华东精密机械有限公司 一般户"),
            ("CreditBankCode", Seed.ownBankCode), ("Amount", amount),
        ])
    }
}

/// The bank's responses, checked the way an ERP must: the bank's signature verifies against the CA bundle and
/// CRLs, and the document validates against Schemas/directlink-1.xsd.
struct Bank: Sendable {
    let verifier: MessageVerifier

    init() throws {
        guard let xsd = FileManager.default.contents(atPath: Repository.path("Schemas/directlink-1.xsd")) else {
            throw HarnessFailure("no schema")
        }
        verifier = MessageVerifier(trust: try TrustStore(caBundlePath: Repository.pki("ca-bundle.pem"), crlPaths: [Repository.pki("crls.pem")]),
                                   schema: try XMLSchema(xsd: [UInt8](xsd)))
    }

    func read(_ bytes: [UInt8]) throws -> Reply {
        do {
            return Reply(bytes: bytes, message: try verifier.verify(bytes))
        } catch {
            throw HarnessFailure("the bank's response does not verify (\(error)): \(String(decoding: bytes.prefix(2000), as: UTF8.self))")
        }
    }

    func send(_ request: [UInt8], on client: DirectLinkClient) async throws -> Reply {
        try read(try await client.send(request))
    }

    /// SHA-256 hex of a signed request exactly as sent: the `OrderDigest` approvers name.
    func orderDigest(_ request: [UInt8]) throws -> String {
        try verifier.verify(request).messageDigest
    }
}

/// One verified response.
struct Reply: Sendable {
    let bytes: [UInt8]
    let message: VerifiedMessage

    var retCode: String? { message.head.retCode }
    var serialNo: String { message.head.serialNo }
    /// A `Head` field (RetCode, ErrorPath, ServerTime, …).
    func head(_ name: String) -> String? {
        message.document.root.child("Head", in: Namespace.directLink)?.child(name, in: Namespace.directLink)?.text
    }
    /// The result element (`PaymentResult`, `BalanceResult`, …).
    var result: XMLElement { message.transaction }
    var resultName: String { result.name }
    /// A direct child of the result element.
    func field(_ name: String) -> String? { result.child(name, in: Namespace.directLink)?.text }
    func all(_ name: String) -> [XMLElement] { result.children.filter { $0.isNamed(name, in: Namespace.directLink) } }
    var summary: String { "\(retCode ?? "-") \(head("RetMsgEn") ?? "") path=\(head("ErrorPath") ?? "-")" }
}

extension XMLElement {
    func field(_ name: String) -> String? { child(name, in: Namespace.directLink)?.text }
}

/// The Shanghai calendar date of `date` (`yyyy-MM-dd`), as the engine books it.
func shanghaiDate(_ date: Date = Date()) -> String {
    String(Timestamps.format(date).prefix(10))
}

/// The two framings, for `@Test(arguments:)`.
let framings: [DirectLinkClient.Framing] = [.classic, .http]

extension DirectLinkClient.Framing: CustomTestStringConvertible {
    public var testDescription: String { self == .classic ? "classic" : "http" }
}

/// Waits until `condition` holds or `timeout` passes; returns whether it held.
func eventually(_ timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Whether `future` completes within `timeout`.
func completes(_ future: EventLoopFuture<Void>, within timeout: Duration) async -> Bool {
    await firstOf([
        { _ = try? await future.get(); return true },
        { try? await Task.sleep(for: timeout); return false },
    ])
}

/// The result of whichever operation finishes first. The others keep running unstructured until they end
/// (a task group would wait for all of them, and a close future may never complete).
func firstOf<T: Sendable>(_ operations: [@Sendable () async -> T]) async -> T {
    await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
        let once = ResumeOnce(continuation)
        for operation in operations {
            Task { once.resume(await operation()) }
        }
    }
}

final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Never>?
    init(_ continuation: CheckedContinuation<T, Never>) { self.continuation = continuation }
    func resume(_ value: T) {
        let pending: CheckedContinuation<T, Never>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        pending?.resume(returning: value)
    }
}
