import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkServer
import DirectLinkXML
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `kill -HUP` of the real daemon (`directlink serve`) reloads the limit rules from `conf/engine/limits.json`: a
/// connection opened before the signal keeps being served, and the new rule applies to it at once.
struct DaemonSIGHUPTests {
    typealias Harness = DaemonSIGKILLTests

    /// A project home of its own: its `conf/` is a copy (so the test can edit `limits.json`), `Fixtures` and
    /// `Schemas` point at the repository's.
    static func temporaryHome() throws -> URL {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("daemon-hup-\(UUID().uuidString)")
        let files = FileManager.default
        try files.createDirectory(at: home, withIntermediateDirectories: true)
        try files.copyItem(at: Harness.root.appendingPathComponent("conf"), to: home.appendingPathComponent("conf"))
        for folder in ["Fixtures", "Schemas"] {
            try files.createSymbolicLink(at: home.appendingPathComponent(folder), withDestinationURL: Harness.root.appendingPathComponent(folder))
        }
        return home
    }

    static func payment(serial: String, amount: String) -> [UInt8] {
        let text = String(decoding: Harness.payment(serial: serial), as: UTF8.self)
        return Array(text.replacingOccurrences(of: "<Amount>1.00</Amount>", with: "<Amount>\(amount)</Amount>").utf8)
    }

    @Test func sighupReloadsLimitRulesWithoutDroppingConnections() async throws {
        let home = try Self.temporaryHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let signer = try MessageSigner(keyPath: "\(Harness.pki)/corpa-maker-ec.key", certificatePath: "\(Harness.pki)/corpa-maker-ec.pem")
        let verifier = MessageVerifier(trust: try TrustStore(caBundlePath: "\(Harness.pki)/ca-bundle.pem", crlPaths: ["\(Harness.pki)/crls.pem"]), schema: nil)
        let run = UUID().uuidString.prefix(6)
        let (daemon, port, _) = try Harness.startDaemon(data: home.appendingPathComponent("data").path,
                                                         config: home.appendingPathComponent("conf/directlink.json").path)
        defer { daemon.terminate() }
        let client = try await Harness.connect(port)

        let before = try verifier.verify(try await client.send(try signer.signXML(Self.payment(serial: "H\(run)a", amount: "5.00"))))
        #expect(before.head.retCode == RetCode.ok.rawValue)

        // A new rule: MAKER01 may pay at most 2.00 per transaction.
        let limitsPath = home.appendingPathComponent("conf/engine/limits.json")
        var rules = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: limitsPath)) as? [[String: Any]])
        rules.append(["id": "L-HUP-TEST", "scope": "OPERATOR", "corporation": "CORPA001", "target": "MAKER01",
                      "period": "PER_TRANSACTION", "max": "2.00"])
        try JSONSerialization.data(withJSONObject: rules, options: [.prettyPrinted]).write(to: limitsPath)
        kill(daemon.processIdentifier, SIGHUP)

        // The same connection, after the reload has taken effect.
        var refused: VerifiedMessage?
        for attempt in 0..<50 where refused == nil {
            let reply = try verifier.verify(try await client.send(try signer.signXML(Self.payment(serial: "H\(run)b\(attempt)", amount: "5.00"))))
            if reply.head.retCode == RetCode.limitExceeded.rawValue { refused = reply } else { try await Task.sleep(for: .milliseconds(100)) }
        }
        let limited = try #require(refused, "the new rule never applied")
        #expect(limited.document.root.child("Head", in: Namespace.directLink)?.child("RuleId", in: Namespace.directLink)?.text == "L-HUP-TEST")
        let small = try verifier.verify(try await client.send(try signer.signXML(Self.payment(serial: "H\(run)c", amount: "1.50"))))
        #expect(small.head.retCode == RetCode.ok.rawValue, "a payment within the new rule still passes")
        #expect(daemon.isRunning)
        await client.close()
    }
}
