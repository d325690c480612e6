import DirectLinkEngine
import DirectLinkLedger
import DirectLinkReplay
import DirectLinkXML
import Foundation
import Testing

/// What integrators rely on besides passing: a broken golden fails with a useful diff, `--update` rewrites,
/// JUnit output is well-formed, recorded traffic is re-driven.
struct ReplayBehaviourTests {
    let environment: ReplayEnvironment

    init() throws {
        environment = try Repository.environment()
    }

    func run(_ directory: URL, update: Bool = false) async throws -> ScenarioResult {
        let session = ReplaySession(environment: environment, mode: .inProcess, update: update)
        return try #require(await session.run([try Scenario.load(directory: directory)]).first)
    }

    func replace(_ old: String, with new: String, in file: URL) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains(old), "\(file.lastPathComponent) has no \(old)")
        try text.replacingOccurrences(of: old, with: new).write(to: file, atomically: true, encoding: .utf8)
    }

    @Test func brokenGoldenFailsWithADiffNamingTheChangedLine() async throws {
        let copy = try Repository.copy("erp-intra-bank-payment")
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        try replace("<Balance>9987500.00</Balance>", with: "<Balance>9987400.00</Balance>", in: copy.appendingPathComponent("03-balances-after.golden.xml"))
        let result = try await run(copy)
        #expect(result.failed)
        #expect(ReplayReport.summary([result]) == "0 passed, 1 failed")
        let failures = result.steps.compactMap { step -> String? in if case .failed(let text) = step.outcome { text } else { nil } }
        try #require(failures.count == 1)
        let diff = failures[0]
        #expect(diff.contains("--- erp-intra-bank-payment/03-balances-after.golden.xml"))
        #expect(diff.contains("+++ actual response"))
        #expect(diff.contains("-        <Balance>9987400.00</Balance>"))
        #expect(diff.contains("+        <Balance>9987500.00</Balance>"))
        #expect(diff.contains("@@ "))
        // The unchanged lines around it are context, not changes.
        #expect(diff.contains("\n         <AccountNo>6229000100000001</AccountNo>"))
        #expect(!diff.contains("-        <AccountNo>"))
    }

    @Test func wrongExpectedBalanceFailsNamingTheAccount() async throws {
        let copy = try Repository.copy("erp-intra-bank-payment")
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        try replace("\"6229000100000001\": \"9987500.00\"", with: "\"6229000100000001\": \"9987000.00\"", in: copy.appendingPathComponent("scenario.json"))
        let result = try await run(copy)
        #expect(result.steps[0].outcome == .failed("balance of 6229000100000001: expected 9987000.00, actual 9987500.00"))
    }

    @Test func updateRewritesTheGolden() async throws {
        let copy = try Repository.copy("erp-balances")
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let golden = copy.appendingPathComponent("01-maker-reads-three-accounts.golden.xml")
        let original = try String(contentsOf: golden, encoding: .utf8)
        try replace("<Status>frozen</Status>", with: "<Status>active</Status>", in: golden)
        #expect(try await run(copy).failed)
        let updated = try await run(copy, update: true)
        #expect(!updated.failed)
        #expect(updated.steps[0].outcome == .updated)
        #expect(updated.steps.dropFirst().allSatisfy { $0.outcome == .passed })
        #expect(try String(contentsOf: golden, encoding: .utf8) == original)
        #expect(!(try await run(copy).failed))
    }

    @Test func missingGoldenFailsAndUpdateCreatesIt() async throws {
        let copy = try Repository.copy("erp-gbk-message")
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let golden = copy.appendingPathComponent("02-status-in-utf8.golden.xml")
        let original = try Data(contentsOf: golden)
        try FileManager.default.removeItem(at: golden)
        let result = try await run(copy)
        #expect(result.steps[1].outcome == .failed("no golden file erp-gbk-message/02-status-in-utf8.golden.xml; run with --update to create it"))
        _ = try await run(copy, update: true)
        #expect(try Data(contentsOf: golden) == original)
    }

    @Test func junitReportIsWellFormedWithTheRightCounts() async throws {
        let broken = try Repository.copy("erp-intra-bank-payment")
        defer { try? FileManager.default.removeItem(at: broken.deletingLastPathComponent()) }
        try replace("<Balance>9987500.00</Balance>", with: "<Balance>1.00</Balance>", in: broken.appendingPathComponent("03-balances-after.golden.xml"))
        let failing = try await run(broken)
        let passing = try await run(Repository.scenarios.appendingPathComponent("erp-balances"))
        let xml = JUnitReport.xml([failing, passing])
        let document = try XMLDocument.parse(Array(xml.utf8))
        let root = document.root
        #expect(root.name == "testsuites")
        #expect(root.attribute("tests") == "10")
        #expect(root.attribute("failures") == "1")
        let suites = root.children
        #expect(suites.map { $0.attribute("name") } == ["erp-intra-bank-payment", "erp-balances"])
        #expect(suites.map { $0.attribute("tests") } == ["4", "6"])
        #expect(suites.map { $0.attribute("failures") } == ["1", "0"])
        let cases = suites[0].children.filter { $0.name == "testcase" }
        #expect(cases.count == 4)
        let failure = try #require(cases[2].children.first { $0.name == "failure" })
        #expect(failure.text.contains("+        <Balance>9987500.00</Balance>"))
        #expect(failure.text.contains("-        <Balance>1.00</Balance>"))
    }

    @Test func daemonOnlyTargetSkipsStepsThatNeedTheScenarioClock() async throws {
        let daemon = try await TestDaemon.start()
        let session = ReplaySession(environment: environment, mode: .server(host: "127.0.0.1", port: daemon.port, framing: .classic, credentials: nil))
        let results = await session.run([try Repository.scenario("erp-daily-limit")])
        try await daemon.stop()
        let result = try #require(results.first)
        #expect(!result.failed)
        #expect(result.steps.allSatisfy { $0.skipped })
        #expect(ReplayReport.summary(results) == "1 passed, 0 failed (3 steps skipped)")
    }

    /// Traffic recorded while a scenario ran is re-driven against a fresh engine: the same build answers the same;
    /// a build that routes differently is reported with the changed line.
    @Test func recordedTrafficIsReplayedAndRegressionsAreReported() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("replay-traffic-\(UUID().uuidString)")
        let writer = try ExchangeDirectoryWriter(directory: log)
        let scenario = try Repository.scenario("erp-interbank-routing")
        let runner = ScenarioRunner(environment: environment)
        let recorded = await runner.run(scenario) { scenario in
            try InProcessTarget(environment: environment, engineConfiguration: try environment.engineConfiguration(for: scenario),
                                start: scenario.clock?.startDate, audit: writer)
        }
        #expect(!recorded.failed)
        let traffic = ExchangeDirectory(directory: log)
        #expect(try traffic.exchanges().count == scenario.steps.count)

        let same = try InProcessTarget(environment: environment, engineConfiguration: try environment.engineConfiguration(for: nil), start: nil)
        let sameOutcome = try await TrafficReplayer(environment: environment).replay(traffic, target: same)
        await same.close()
        #expect(sameOutcome.count == scenario.steps.count)
        #expect(sameOutcome.differences.isEmpty, "\(sameOutcome.differences.map(\.diff))")

        var changed = try environment.engineConfiguration(for: nil)
        changed.routing.ibpsCapMinor = 2_000_000
        let other = try InProcessTarget(environment: environment, engineConfiguration: changed, start: nil)
        let otherOutcome = try await TrafficReplayer(environment: environment).replay(traffic, target: other)
        await other.close()
        let first = try #require(otherOutcome.differences.first)
        #expect(first.label == "000001")
        #expect(first.diff.contains("-      <Channel>IBPS</Channel>"))
        #expect(first.diff.contains("+      <Channel>BEPS</Channel>"))
        try? FileManager.default.removeItem(at: log)
    }

    /// The same, read from a real audit log (DirectLinkAudit segments) instead of a capture folder.
    @Test func auditLogTrafficIsReplayedWithoutDifferences() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replay-audit-\(UUID().uuidString)")
        let sink = try AuditLogSink(directory: directory)
        // Housekeeping (clearing cycles) is not traffic, so a scenario without it: the log alone determines the answers.
        let scenario = try Repository.scenario("erp-approver-rejects")
        let recorded = await ScenarioRunner(environment: environment).run(scenario) { scenario in
            try InProcessTarget(environment: environment, engineConfiguration: try environment.engineConfiguration(for: scenario),
                                start: scenario.clock?.startDate, audit: sink)
        }
        try sink.close()
        // Whether the goldens match is the library tests' business (this scenario has a known issue); every step ran.
        #expect(recorded.steps.count == scenario.steps.count)
        #expect(AuditLogTraffic.isAuditLog(directory))
        let traffic = AuditLogTraffic(directory: directory)
        #expect(try traffic.exchanges().count == scenario.steps.count)
        let target = try InProcessTarget(environment: environment, engineConfiguration: try environment.engineConfiguration(for: nil), start: nil)
        let outcome = try await TrafficReplayer(environment: environment).replay(traffic, target: target)
        await target.close()
        #expect(outcome.count == scenario.steps.count)
        #expect(outcome.differences.isEmpty, "\(outcome.differences.map(\.diff))")
        try? FileManager.default.removeItem(at: directory)
    }

    /// End to end: a daemon's own audit log, written while scenarios ran over TLS, re-driven in-process.
    @Test func daemonAuditLogIsReplayedWithoutDifferences() async throws {
        let daemon = try await TestDaemon.start()
        let session = ReplaySession(environment: environment, mode: .server(host: "127.0.0.1", port: daemon.port, framing: .classic, credentials: nil))
        let results = await session.run([try Repository.scenario("erp-balances"), try Repository.scenario("erp-duplicate-serial")],
                                        engine: daemon.daemon.engine)
        let directory = try #require(daemon.daemon.auditDirectory)
        try await daemon.stop(removingData: false)
        #expect(!results.contains { $0.failed }, "\(results.flatMap(ReplayReport.lines(for:)).joined(separator: "\n"))")
        let traffic = AuditLogTraffic(directory: directory)
        let target = try InProcessTarget(environment: environment, engineConfiguration: try environment.engineConfiguration(for: nil), start: nil)
        let outcome = try await TrafficReplayer(environment: environment).replay(traffic, target: target)
        await target.close()
        #expect(outcome.count == 9)
        #expect(outcome.differences.isEmpty, "\(outcome.differences.map(\.diff))")
        try? FileManager.default.removeItem(atPath: daemon.dataDirectory)
    }

    @Test(arguments: [
        ("a\nb\nc\n", "a\nB\nc\n", ["@@ -1,3 +1,3 @@", " a", "-b", "+B", " c"]),
        ("a\n", "a\nb\n", ["@@ -1,1 +1,2 @@", " a", "+b"]),
        ("x\ny\n", "y\n", ["@@ -1,2 +1,1 @@", "-x", " y"]),
    ])
    func unifiedDiffShowsChangesWithContext(_ old: String, _ new: String, _ hunk: [String]) throws {
        let diff = try #require(UnifiedDiff.diff(expected: old, actual: new, expectedName: "golden", actualName: "actual"))
        #expect(diff.split(separator: "\n").map(String.init) == ["--- golden", "+++ actual"] + hunk)
    }

    @Test func unifiedDiffOfEqualTextsIsNil() {
        #expect(UnifiedDiff.diff(expected: "a\n", actual: "a\n", expectedName: "g", actualName: "a") == nil)
    }

    @Test func unifiedDiffShowsOnlyTheFirstHunkAndCountsTheRest() throws {
        let old = (1...40).map { "line \($0)" }.joined(separator: "\n")
        let new = old.replacingOccurrences(of: "line 5\n", with: "line five\n").replacingOccurrences(of: "line 30\n", with: "line thirty\n")
        let diff = try #require(UnifiedDiff.diff(expected: old, actual: new, expectedName: "g", actualName: "a"))
        #expect(diff.contains("+line five"))
        #expect(!diff.contains("+line thirty"))
        #expect(diff.hasSuffix("(1 more differences)"))
    }
}
