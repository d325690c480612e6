import DirectLinkAudit
import DirectLinkCrypto
import DirectLinkMessage
import Foundation

/// Real keys from Fixtures/pki, real files in a fresh temporary directory per test.
enum Fixture {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func read(_ relative: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(relative)) else { throw FixtureError("missing \(relative)") }
        return [UInt8](data)
    }

    static func auditKey() throws -> PrivateKey { try PrivateKey(pem: read("Fixtures/pki/bank-audit.key")) }
    static func auditCertificate() throws -> Certificate { try Certificate(pem: read("Fixtures/pki/bank-audit.pem")) }

    static func trust() throws -> TrustStore {
        try TrustStore(caBundlePath: path("Fixtures/pki/ca-bundle.pem"), crlPaths: [path("Fixtures/pki/crls.pem")])
    }

    static func temporaryDirectory() throws -> URL {
        let url = runDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Every directory of this test process lives under one parent named by its pid. Swift Testing has no process-wide
    /// teardown, and the logs stay open until their tests end, so instead each run deletes the parents of runs whose
    /// process is gone (thousands of directories had piled up in /tmp).
    static let runDirectory: URL = {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("directlink-audit-tests")
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] {
            // kill(pid, 0) fails with ESRCH only when no such process exists (EPERM: it exists, not ours).
            if let pid = Int32(entry), pid == getpid() || kill(pid, 0) == 0 || errno == EPERM { continue }
            try? FileManager.default.removeItem(at: base.appendingPathComponent(entry))
        }
        return base.appendingPathComponent("\(getpid())")
    }()

    static func openLog(_ directory: URL, limits: AuditLimits = .default,
                        clock: @escaping @Sendable () -> Date = { Date() }) throws -> AuditLog {
        try AuditLog(directory: directory, key: auditKey(), certificate: auditCertificate(), limits: limits, clock: clock)
    }

    /// A signed inbound request from CORPA001 with its SerialNo replaced by `serial`, and a matching outbound record.
    static func exchange(serial: String, signer: MessageSigner) throws -> [AuditRecord] {
        let template = String(decoding: try read("Fixtures/messages/corpa/single-payment.xml"), as: UTF8.self)
        let xml = template.replacingOccurrences(of: "A20261125000003", with: serial)
        let signed = try signer.signXML(Array(xml.utf8))
        let now = Date()
        let inbound = AuditRecord(direction: .inbound, receivedAt: now, connectionId: 7, peerFingerprint: String(repeating: "ab", count: 32),
                                  corpId: "CORPA001", serialNo: serial, txCode: "PAY.SINGLE", verdict: .verified, retCode: "0000",
                                  correlationId: "c-\(serial)", bytes: signed)
        let response = Array("<Response serial=\"\(serial)\"/>".utf8)
        let outbound = AuditRecord(direction: .outbound, receivedAt: now, connectionId: 7, peerFingerprint: inbound.peerFingerprint,
                                   corpId: "CORPA001", serialNo: serial, txCode: "PAY.SINGLE", verdict: .response, retCode: "0000",
                                   correlationId: "c-\(serial)", bytes: response)
        return [inbound, outbound]
    }

    static func makerSigner() throws -> MessageSigner {
        try MessageSigner(keyPath: path("Fixtures/pki/corpa-maker-ec.key"), certificatePath: path("Fixtures/pki/corpa-maker-ec.pem"))
    }

    /// A log of `exchanges` request/response pairs with a checkpoint after every `checkpointEvery` pairs and at the end.
    static func populatedLog(exchanges: Int, checkpointEvery: Int = 2) throws -> URL {
        let directory = try temporaryDirectory()
        let log = try openLog(directory)
        let signer = try makerSigner()
        for number in 0..<exchanges {
            _ = try log.append(try exchange(serial: "S\(1000 + number)", signer: signer))
            if (number + 1) % checkpointEvery == 0 { try log.checkpoint() }
        }
        try log.close()
        return directory
    }

    static func segmentPaths(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".dlog") }.sorted()
            .map { directory.appendingPathComponent($0).path }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
