import DirectLinkMessage
import DirectLinkServer
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The admin listener: `/healthz` and `/metrics` (Prometheus text) on loopback, moved by real traffic. Metrics are
/// process-wide (swift-metrics is bootstrapped once) and other tests run beside this one, so it compares counters
/// before and after its own requests and asks only that they grew by at least as much as it caused.
extension DaemonEndToEndTests {
    private static func get(_ path: String, port: Int) async throws -> (status: Int, body: String) {
        let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
        let (data, response) = try await URLSession.shared.data(from: url)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The value of the sample whose name and labels are all given (labels in any order); 0 when absent.
    private static func sample(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double {
        var total = 0.0
        for line in text.split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
            let rest = line.dropFirst(name.count)
            guard rest.first == "{" || rest.first == " " else { continue }
            let labelText = rest.first == "{" ? String(rest.drop { $0 == "{" }.prefix { $0 != "}" }) : ""
            guard labels.allSatisfy({ labelText.contains("\($0.key)=\"\($0.value)\"") }) else { continue }
            total += Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return total
    }

    @Test func healthzAndMetricsReportTraffic() async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let admin = daemon.running.adminPort
            let health = try await Self.get("/healthz", port: admin)
            #expect(health.status == 200 && health.body.hasPrefix("ok"), "\(health)")

            let before = try await Self.get("/metrics", port: admin).body
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            for _ in 0..<3 {
                #expect(try await bank.send(try Request.signed("balance-query"), on: client).retCode == "0000")
            }
            let large = try await bank.send(try Request.intraBankPayment(amount: Seed.largeAmount), on: client)
            #expect(large.field("Status") == "PENDING_APPROVAL", "\(large.summary)")
            let stale = try await bank.send(try Request.intraBankPayment(timestamp: Date().addingTimeInterval(-3600)), on: client)
            #expect(stale.retCode == "5001")
            // One digit of a signed account number changed: schema-valid, but the signature no longer holds.
            let signed = String(decoding: try Request.signed("balance-query"), as: UTF8.self)
            #expect(signed.contains("<AccountNo>6229"))
            let tampered = Array(signed.replacingOccurrences(of: "<AccountNo>6229", with: "<AccountNo>6228").utf8)
            let refusedSignature = try await bank.send(tampered, on: client)
            #expect(refusedSignature.retCode?.hasPrefix("3") == true, "\(refusedSignature.summary)")
            _ = try? await daemon.connect(as: "untrusted").send(try Request.signed("server-time"))

            let after = try await Self.get("/metrics", port: admin)
            #expect(after.status == 200)
            let grew = { (name: String, labels: [String: String]) in
                Self.sample(after.body, name, labels) - Self.sample(before, name, labels)
            }
            #expect(grew("directlink_requests_total", ["tx_code": "BAL.QUERY", "ret_code": "0000"]) >= 3)
            #expect(grew("directlink_requests_total", ["tx_code": "PAY.SINGLE", "ret_code": "5001"]) >= 1)
            #expect(grew("directlink_payment_status_total", ["tx_code": "PAY.SINGLE", "status": "PENDING_APPROVAL"]) >= 1,
                    "a payment entering approval is counted")
            #expect(grew("directlink_signature_rejections_total", [:]) >= 1)
            #expect(grew("directlink_tls_handshake_failures_total", [:]) >= 1)
            #expect(after.body.contains("directlink_request_duration"), "the latency histogram is exported")
            #expect(after.body.contains("directlink_connections"), "the connections gauge is exported")
        }
    }
}

/// The admin listener is plain HTTP without authentication: a host other than loopback is refused at start-up
/// unless the operator says so.
struct AdminListenerConfigurationTests {
    @Test func nonLoopbackAdminHostIsRefusedUnlessAllowed() throws {
        var configuration = try DaemonConfiguration.load(path: Repository.path("conf/directlink.json"))
        for host in ["127.0.0.1", "127.0.0.2", "::1", "localhost"] {
            configuration.admin.host = host
            #expect(throws: Never.self, "\(host) is loopback") { try configuration.check() }
        }
        for host in ["0.0.0.0", "10.1.2.3", "::", "admin.bank.example", "127.example.com", "127.0.0.1.nip.io"] {
            configuration.admin.host = host
            #expect(throws: ServerConfigurationError.self, "\(host) is not loopback") { try configuration.check() }
        }
        configuration.admin.allowRemote = true
        #expect(throws: Never.self) { try configuration.check() }
    }
}
