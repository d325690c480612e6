import DirectLinkCrypto
import DirectLinkEngine
import DirectLinkGateway
import DirectLinkLedger
import DirectLinkMessage
import DirectLinkServer
import DirectLinkXML
import Foundation
import Logging
import NIOPosix

/// Where requests go: a fresh in-process engine and gateway, or a running daemon over TLS.
public protocol ReplayTarget: Sendable {
    /// The bank's clock as the scenario sees it (what `timestamp: now` means).
    func now() -> Date
    /// Whether the bank's clock is the scenario's (`clock.start`, `advance`); false for a daemon on wall time.
    var hasScenarioClock: Bool { get }
    func advance(seconds: Int64)
    /// Runs the engine's housekeeping (expiry, scheduled release, one clearing cycle); false when the target
    /// cannot (a daemon runs it on its own timer).
    func housekeeping() async throws -> Bool
    /// Sends one signed request over the connection named `connection` (a TLS client certificate) and returns the
    /// response bytes.
    func send(_ request: [UInt8], connection: String?) async throws -> [UInt8]
    /// Balances (yuan) of the accounts, or nil when the target cannot see the engine.
    func balances(corporation: String, accounts: [String]) async throws -> [String: String]?
    func close() async
}

/// Paths of the project: `conf/directlink.json`, `Fixtures/pki`, the schema.
public struct ReplayEnvironment: Sendable {
    public var configuration: DaemonConfiguration

    /// `home` is the folder holding `conf/`.
    public init(home: URL) throws {
        configuration = try DaemonConfiguration.load(path: home.appendingPathComponent("conf/directlink.json").path)
    }

    public var pkiDirectory: String { configuration.path("Fixtures/pki") }

    /// Checks the bank's signature on responses: the daemon's CA bundle and CRLs, no schema (a golden shows the rest).
    public func responseVerifier() throws -> MessageVerifier {
        MessageVerifier(trust: try TrustStore(caBundlePath: configuration.path(configuration.trust.caBundle),
                                              crlPaths: configuration.trust.crls.map(configuration.path)),
                        schema: nil)
    }

    public func engineConfiguration(for scenario: Scenario?) throws -> EngineConfiguration {
        if let scenario, let engine = scenario.engine {
            return try EngineConfiguration.load(directory: scenario.file(engine))
        }
        return try EngineConfiguration.load(directory: URL(fileURLWithPath: configuration.path(configuration.engine)))
    }
}

/// A fresh engine on a temporary SQLite database and the real gateway, on a clock that moves only when told.
public final class InProcessTarget: ReplayTarget {
    public let engine: TransactionEngine
    public let gateway: Gateway
    let clock: ManualClock
    let directory: URL

    /// `start`: the bank's clock at the beginning (default: now). `audit` records every exchange (tests, traffic capture).
    public init(environment: ReplayEnvironment, engineConfiguration: EngineConfiguration, start: Date?,
                audit: (any AuditSink)? = nil) throws {
        let configuration = environment.configuration
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("directlink-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let manual = ManualClock(epochSeconds: Int64((start ?? Date()).timeIntervalSince1970.rounded(.down)))
        clock = manual
        engine = try TransactionEngine.open(path: directory.appendingPathComponent("replay.sqlite").path,
                                           configuration: engineConfiguration, clock: manual)
        guard let xsd = FileManager.default.contents(atPath: configuration.path(configuration.schema)) else {
            throw ReplayError("cannot read \(configuration.path(configuration.schema))")
        }
        let verifier = MessageVerifier(trust: try TrustStore(caBundlePath: configuration.path(configuration.trust.caBundle),
                                                             crlPaths: configuration.trust.crls.map(configuration.path)),
                                       schema: try XMLSchema(xsd: [UInt8](xsd)), limits: configuration.limits.xml)
        let signer = try MessageSigner(keyPath: configuration.path(configuration.signing.privateKey),
                                       certificatePath: configuration.path(configuration.signing.certificate))
        var settings = Gateway.Settings()
        settings.timeWindowSeconds = configuration.timeWindowSeconds
        gateway = Gateway(verifier: { verifier }, signer: signer, engine: engine, settings: settings, audit: audit,
                          logger: Logger(label: "directlink-replay", factory: { _ in SwiftLogNoOpLogHandler() }),
                          clock: { Date(timeIntervalSince1970: Double(manual.nowEpochSeconds())) })
    }

    public func now() -> Date { Date(timeIntervalSince1970: Double(clock.nowEpochSeconds())) }
    public var hasScenarioClock: Bool { true }
    public func advance(seconds: Int64) { clock.advance(seconds: seconds) }
    public func housekeeping() async throws -> Bool {
        _ = try await engine.runHousekeeping()
        return true
    }
    public func set(_ date: Date) { clock.set(epochSeconds: Int64(date.timeIntervalSince1970.rounded(.down))) }

    public func send(_ request: [UInt8], connection: String?) async throws -> [UInt8] {
        guard let response = await gateway.handle(request, context: RequestContext(connectionId: 1, tlsCorpId: nil, tlsPeerFingerprint: nil)) else {
            throw ReplayError("the gateway sent nothing: the audit log could not record the exchange")
        }
        return response
    }

    public func balances(corporation: String, accounts: [String]) async throws -> [String: String]? {
        try await Self.balances(of: engine, corporation: corporation, accounts: accounts)
    }

    static func balances(of engine: TransactionEngine, corporation: String, accounts: [String]) async throws -> [String: String] {
        var result: [String: String] = [:]
        for balance in try await engine.balances(corporation: corporation, accounts: accounts) {
            result[balance.account] = Money.format(minorUnits: balance.balanceMinor)
        }
        return result
    }

    public func close() async {
        engine.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A running daemon over mutual TLS, one connection per TLS client certificate, in either framing.
public final class ServerTarget: ReplayTarget, @unchecked Sendable {
    let host: String
    let port: Int
    let framing: DirectLinkClient.Framing
    let pkiDirectory: String
    let trustedCAPath: String
    /// The daemon's engine when the caller runs it in-process (tests): balances are then checked too.
    let engine: TransactionEngine?
    /// A TLS client certificate (PEM and key) that replaces every step's `connection` (the CLI's `--tls-cert`).
    let fixedCredentials: DirectLinkClient.Credentials?
    private let lock = NSLock()
    private var clients: [String: DirectLinkClient] = [:]

    public init(host: String, port: Int, framing: DirectLinkClient.Framing, environment: ReplayEnvironment,
                engine: TransactionEngine? = nil, credentials: DirectLinkClient.Credentials? = nil) {
        self.host = host
        self.port = port
        self.framing = framing
        pkiDirectory = environment.pkiDirectory
        trustedCAPath = environment.configuration.path(environment.configuration.trust.caBundle)
        self.engine = engine
        fixedCredentials = credentials
    }

    public func now() -> Date { Date() }
    public var hasScenarioClock: Bool { false }
    public func advance(seconds: Int64) {}
    public func housekeeping() async throws -> Bool { false }

    public func send(_ request: [UInt8], connection: String?) async throws -> [UInt8] {
        let name = connection ?? "corpa-client"
        let existing = lock.withLock { clients[name] }
        if let existing { return try await existing.send(request) }
        let credentials = fixedCredentials ?? .init(certificatePath: "\(pkiDirectory)/\(name).pem", privateKeyPath: "\(pkiDirectory)/\(name).key",
                                                    trustedCAPath: trustedCAPath)
        let client = try await DirectLinkClient.connect(host: host, port: port, credentials: credentials, framing: framing,
                                                        group: MultiThreadedEventLoopGroup.singleton)
        lock.withLock { clients[name] = client }
        return try await client.send(request)
    }

    public func balances(corporation: String, accounts: [String]) async throws -> [String: String]? {
        guard let engine else { return nil }
        return try await InProcessTarget.balances(of: engine, corporation: corporation, accounts: accounts)
    }

    public func close() async {
        let all = lock.withLock { () -> [DirectLinkClient] in
            defer { clients = [:] }
            return Array(clients.values)
        }
        for client in all { await client.close() }
    }
}
