import ArgumentParser
import DirectLinkReplay
import DirectLinkServer
import Foundation

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay golden scenarios (Fixtures/scenarios) in-process or against a daemon; or re-drive recorded traffic.",
        discussion: """
        Each SCENARIO is a scenario folder or a folder of them (default: Fixtures/scenarios). By default every scenario
        runs against a fresh in-process engine at the scenario's clock; with --server it runs against a running daemon
        over mutual TLS (steps that need the scenario's clock or engine configuration are skipped with a note).
        Each response's bank signature is checked, the response is normalised (Fixtures/README.md) and compared with
        the golden file; the first difference of each failing step is printed as a unified diff.
        Exits 1 when any step fails.

        --from-audit-log LOGDIR re-drives recorded traffic against a fresh engine from conf/engine and prints every
        response that differs from the recorded one. LOGDIR is an audit log (segment-*.dlog, docs/audit.md) or a
        capture folder of NNNNNN.in/NNNNNN.out pairs (Fixtures/README.md).
        """
    )

    @Argument(help: "Scenario folders, or folders of scenario folders.") var scenarios: [String] = []
    @Option(help: "host:port of a running daemon (default: in-process).") var server: String?
    @Flag(help: "With --server: HTTP/1.1 POST /directlink instead of the classic length-prefixed framing.") var http = false
    @Option(help: "With --server: TLS client certificate (PEM) for every step, instead of each step's connection.") var tlsCert: String?
    @Option(help: "With --server: the key of --tls-cert (PEM).") var tlsKey: String?
    @Flag(help: "Rewrite the golden files with this run's responses.") var update = false
    @Option(help: "Write a JUnit XML report to this file.") var junit: String?
    @Option(help: "Re-drive the recorded traffic in this folder instead of running scenarios.") var fromAuditLog: String?
    @Option(help: "Project home holding conf/ and Fixtures/ (default: found from the working directory).") var home: String?

    func run() async throws {
        let root = home.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: ResourceLocator.path("."))
        let environment = try ReplayEnvironment(home: root.standardizedFileURL)
        if let fromAuditLog {
            try await replayTraffic(fromAuditLog, environment: environment)
            return
        }
        let paths = scenarios.isEmpty ? [ResourceLocator.path("Fixtures/scenarios")] : scenarios
        let found = try Scenario.discover(paths)
        guard !found.isEmpty else { throw ValidationError("no scenarios found in \(paths.joined(separator: " "))") }
        let session = ReplaySession(environment: environment, mode: try mode(environment), update: update)
        let results = await session.run(found) { result in
            print(ReplayReport.lines(for: result).joined(separator: "\n"))
        }
        if let junit {
            do {
                try Data(JUnitReport.xml(results).utf8).write(to: URL(fileURLWithPath: junit))
            } catch {
                throw CLIError("cannot write the JUnit report \(junit): \(error)")
            }
        }
        print(ReplayReport.summary(results))
        if results.contains(where: \.failed) { throw ExitCode(1) }
    }

    private func mode(_ environment: ReplayEnvironment) throws -> ReplaySession.Mode {
        guard let server else { return .inProcess }
        let parts = server.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--server takes host:port") }
        var credentials: DirectLinkClient.Credentials?
        if let tlsCert {
            guard let tlsKey else { throw ValidationError("--tls-cert needs --tls-key") }
            credentials = .init(certificatePath: tlsCert, privateKeyPath: tlsKey,
                                trustedCAPath: environment.configuration.path(environment.configuration.trust.caBundle))
        }
        return .server(host: String(parts[0]), port: port, framing: http ? .http : .classic, credentials: credentials)
    }

    private func replayTraffic(_ directory: String, environment: ReplayEnvironment) async throws {
        let target = try InProcessTarget(environment: environment, engineConfiguration: try environment.engineConfiguration(for: nil), start: nil)
        let outcome: (count: Int, differences: [TrafficDifference])
        do {
            let url = URL(fileURLWithPath: directory)
            let traffic: any RecordedTraffic = AuditLogTraffic.isAuditLog(url) ? AuditLogTraffic(directory: url) : ExchangeDirectory(directory: url)
            outcome = try await TrafficReplayer(environment: environment).replay(traffic, target: target)
        } catch {
            await target.close()
            throw error
        }
        await target.close()
        for difference in outcome.differences {
            print("DIFFERS \(difference.label)")
            print(difference.diff.split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }.joined(separator: "\n"))
        }
        print("\(outcome.count - outcome.differences.count) passed, \(outcome.differences.count) failed")
        if !outcome.differences.isEmpty { throw ExitCode(1) }
    }
}
