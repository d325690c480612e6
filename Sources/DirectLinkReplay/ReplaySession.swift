import DirectLinkEngine
import DirectLinkGateway
import DirectLinkServer
import Foundation

/// Runs a list of scenarios against one kind of target: what `directlink replay` and the tests call.
public struct ReplaySession: Sendable {
    public enum Mode: Sendable {
        /// A fresh engine per scenario, at the scenario's clock (default: now), with its engine configuration.
        case inProcess
        /// A running daemon; `engine` (tests that run the daemon in-process) lets balances be checked too.
        case server(host: String, port: Int, framing: DirectLinkClient.Framing, credentials: DirectLinkClient.Credentials?)
        /// A fresh in-process daemon per scenario at the scenario's clock, over mutual TLS on 127.0.0.1.
        case daemon(framing: DirectLinkClient.Framing)
    }

    public var environment: ReplayEnvironment
    public var mode: Mode
    public var update: Bool

    public init(environment: ReplayEnvironment, mode: Mode, update: Bool = false) {
        self.environment = environment
        self.mode = mode
        self.update = update
    }

    /// `engine`: in `server` mode, the daemon's engine when it runs in this process (balances are then checked).
    public func run(_ scenarios: [Scenario], engine: TransactionEngine? = nil,
                    progress: @Sendable (ScenarioResult) -> Void = { _ in }) async -> [ScenarioResult] {
        let runner = ScenarioRunner(environment: environment, update: update)
        var results: [ScenarioResult] = []
        for scenario in scenarios {
            let result = await runner.run(scenario) { scenario in
                switch mode {
                case .inProcess:
                    let start = scenario.clock?.startDate
                    return try InProcessTarget(environment: environment, engineConfiguration: try environment.engineConfiguration(for: scenario), start: start)
                case .server(let host, let port, let framing, let credentials):
                    return ServerTarget(host: host, port: port, framing: framing, environment: environment,
                                        engine: engine, credentials: credentials)
                case .daemon(let framing):
                    return try await DaemonTarget.start(environment: environment, engineConfiguration: try environment.engineConfiguration(for: scenario),
                                                        start: scenario.clock?.startDate, framing: framing)
                }
            }
            progress(result)
            results.append(result)
        }
        return results
    }
}

/// Readable output: one line per step, the diff of each failure, and the summary line `N passed, M failed`.
public enum ReplayReport {
    public static func lines(for result: ScenarioResult) -> [String] {
        var lines = ["\(result.failed ? "FAIL" : "ok  ") \(result.scenario) — \(result.purpose)"]
        for step in result.steps {
            switch step.outcome {
            case .passed: lines.append("       ok       \(step.name)")
            case .updated: lines.append("       updated  \(step.name)")
            case .skipped(let reason): lines.append("       skipped  \(step.name): \(reason)")
            case .failed(let message):
                lines.append("       FAILED   \(step.name)")
                lines += message.split(separator: "\n", omittingEmptySubsequences: false).map { "         \($0)" }
            }
            lines += step.notes.map { "         note: \($0)" }
        }
        return lines
    }

    /// Counted in scenarios: a scenario passes when none of its steps failed.
    public static func summary(_ results: [ScenarioResult]) -> String {
        let failed = results.filter(\.failed).count
        let skippedSteps = results.flatMap(\.steps).filter(\.skipped).count
        var line = "\(results.count - failed) passed, \(failed) failed"
        if skippedSteps > 0 { line += " (\(skippedSteps) steps skipped)" }
        return line
    }
}
