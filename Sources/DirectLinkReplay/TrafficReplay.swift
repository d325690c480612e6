import DirectLinkGateway
import DirectLinkMessage
import DirectLinkXML
import Foundation

/// One recorded exchange: the inbound frame's payload and the response the bank sent, byte for byte.
public struct RecordedExchange: Sendable {
    public var label: String
    public var inbound: [UInt8]
    public var outbound: [UInt8]

    public init(label: String, inbound: [UInt8], outbound: [UInt8]) {
        self.label = label
        self.inbound = inbound
        self.outbound = outbound
    }
}

/// Recorded inbound traffic in the order the bank answered it. The audit module's log (branch `audit`, not in main
/// yet) can be read through this protocol once merged; `ExchangeDirectory` is the simple format used until then.
public protocol RecordedTraffic: Sendable {
    func exchanges() throws -> [RecordedExchange]
}

/// A folder of `NNNNNN.in` / `NNNNNN.out` pairs (payloads without framing), replayed in name order.
/// `ExchangeDirectoryWriter` writes it from a gateway's `AuditSink`.
public struct ExchangeDirectory: RecordedTraffic {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public func exchanges() throws -> [RecordedExchange] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw ReplayError("cannot list \(directory.path)")
        }
        let inbound = names.filter { $0.hasSuffix(".in") }.sorted()
        guard !inbound.isEmpty else { throw ReplayError("\(directory.path) holds no NNNNNN.in files") }
        return try inbound.map { name in
            let stem = String(name.dropLast(3))
            guard let request = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path),
                  let response = FileManager.default.contents(atPath: directory.appendingPathComponent(stem + ".out").path) else {
                throw ReplayError("\(directory.path): \(stem).in needs a readable \(stem).out")
            }
            return RecordedExchange(label: stem, inbound: [UInt8](request), outbound: [UInt8](response))
        }
    }
}

/// Records a gateway's traffic as an `ExchangeDirectory` (for capturing a session to replay later, and for tests).
public actor ExchangeDirectoryWriter: AuditSink {
    let directory: URL
    var count = 0

    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public func record(inbound: [UInt8], outbound: [UInt8], metadata: AuditMetadata) async throws {
        count += 1
        let digits = String(count)
        let stem = String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        try Data(inbound).write(to: directory.appendingPathComponent(stem + ".in"))
        try Data(outbound).write(to: directory.appendingPathComponent(stem + ".out"))
    }

    /// A capture folder keeps no Merkle tree: AUD.CHECKPOINT and AUD.PROOF answer that nothing is covered yet.
    public func latestCheckpoint() async throws -> AuditCheckpointView? { nil }
    public func inclusion(corpId: String, serialNo: String) async throws -> AuditInclusionView? { nil }
}

/// One recorded response that this build answers differently.
public struct TrafficDifference: Sendable {
    public var label: String
    public var diff: String
}

/// Re-drives recorded traffic against a fresh in-process engine and reports every response that differs from the
/// recorded one, compared under the same normalisation as golden files. The bank's clock is set, before each
/// exchange, to the time the recorded response carries in `Head/Timestamp`.
public struct TrafficReplayer: Sendable {
    public var environment: ReplayEnvironment

    public init(environment: ReplayEnvironment) {
        self.environment = environment
    }

    public func replay(_ traffic: any RecordedTraffic, target: InProcessTarget) async throws -> (count: Int, differences: [TrafficDifference]) {
        let verifier = try environment.responseVerifier()
        let exchanges = try traffic.exchanges()
        var differences: [TrafficDifference] = []
        for exchange in exchanges {
            let recorded = Self.normalized(exchange.outbound, verifier: verifier)
            if let time = recorded.time { target.set(time) }
            let response = try await target.send(exchange.inbound, connection: nil)
            let actual = Self.normalized(response, verifier: verifier)
            if let diff = UnifiedDiff.diff(expected: recorded.text, actual: actual.text,
                                           expectedName: "\(exchange.label).out (recorded)", actualName: "\(exchange.label) (this build)") {
                differences.append(TrafficDifference(label: exchange.label, diff: diff))
            }
        }
        return (exchanges.count, differences)
    }

    /// The normalised text of a response and the bank time it carries; a response whose signature does not verify
    /// (a plain `FrameError`, or a damaged record) is compared as raw text, marked as such.
    static func normalized(_ bytes: [UInt8], verifier: MessageVerifier) -> (text: String, time: Date?) {
        do {
            let message = try verifier.verify(bytes, at: Self.timestamp(in: bytes) ?? Date())
            let time = message.document.root.child("Head", in: Namespace.directLink)?.child("Timestamp", in: Namespace.directLink)
                .flatMap { Timestamps.parse($0.text) }
            return (ResponseNormalizer().text(of: message.document.root), time)
        } catch {
            return ("(unverified response: \(error))\n" + String(decoding: bytes, as: UTF8.self) + "\n", nil)
        }
    }

    static func timestamp(in bytes: [UInt8]) -> Date? {
        Placeholders.firstElement("Timestamp", in: String(decoding: bytes.prefix(4096), as: UTF8.self)).flatMap(Timestamps.parse)
    }
}
