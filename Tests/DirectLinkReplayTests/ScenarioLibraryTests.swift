import DirectLinkEngine
import DirectLinkReplay
import DirectLinkServer
import Foundation
import Testing

/// The whole scenario library, in-process and against a daemon over mutual TLS.
@Suite(.serialized)
struct ScenarioLibraryTests {
    static let names = Repository.scenarioNames()

    @Test func libraryHasTheIssuesScenarios() {
        for name in ["erp-balances", "erp-details-pagination", "erp-intra-bank-payment", "erp-interbank-routing", "erp-payroll-batch",
                     "erp-two-level-approval", "erp-approver-rejects", "erp-maker-approves-own", "erp-daily-limit",
                     "erp-duplicate-serial", "erp-stale-timestamp", "erp-gbk-message", "gov-collective-property", "maintenance-fund"] {
            #expect(Self.names.contains(name), "missing scenario \(name)")
        }
    }

    @Test(arguments: names)
    func scenarioPassesInProcess(_ name: String) async throws {
        let scenario = try Repository.scenario(name)
        let session = ReplaySession(environment: try Repository.environment(), mode: .inProcess)
        let result = try #require(await session.run([scenario]).first)
        #expect(!result.steps.contains { $0.skipped })
        check(result)
    }

    /// A fresh daemon per scenario (each scenario assumes the seed's balances) at the scenario's clock, reached over
    /// mutual TLS, alternating the two framings: every step runs, none is skipped.
    @Test(arguments: names)
    func scenarioPassesAgainstDaemon(_ name: String) async throws {
        let scenario = try Repository.scenario(name)
        let framing: DirectLinkClient.Framing = (Self.names.firstIndex(of: name) ?? 0) % 2 == 0 ? .classic : .http
        let session = ReplaySession(environment: try Repository.environment(), mode: .daemon(framing: framing))
        let result = try #require(await session.run([scenario]).first)
        #expect(!result.steps.contains { $0.skipped })
        check(result)
    }

    private func check(_ result: ScenarioResult) {
        let report = ReplayReport.lines(for: result).joined(separator: "\n")
        if let bug = knownEngineBugs[result.scenario] {
            withKnownIssue("\(bug)", isIntermittent: true) {
                #expect(!result.failed, "\(report)")
            }
        } else {
            #expect(!result.failed, "\(report)")
        }
    }
}
