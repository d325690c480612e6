import DirectLinkCrypto
import DirectLinkGateway
import DirectLinkLedger
import DirectLinkMessage
import DirectLinkServer
import DirectLinkXML
import Foundation

/// What happened to one step.
public struct StepResult: Sendable {
    public enum Outcome: Sendable, Equatable {
        case passed
        /// The golden file was (re)written with this run's response.
        case updated
        case failed(String)
        case skipped(String)
    }

    public var name: String
    public var outcome: Outcome
    public var seconds: Double
    /// Things worth saying that are not failures (balances not visible over the network…).
    public var notes: [String] = []

    public var failed: Bool { if case .failed = outcome { return true } else { return false } }
    public var skipped: Bool { if case .skipped = outcome { return true } else { return false } }
}

public struct ScenarioResult: Sendable {
    public var scenario: String
    public var purpose: String
    public var steps: [StepResult]
    public var failed: Bool { steps.contains(where: \.failed) }
    public var seconds: Double { steps.reduce(0) { $0 + $1.seconds } }
}

/// Runs scenarios step by step: fill and sign each request, send it, check the bank's signature, normalise the
/// response and compare it with the golden file, then check the expected balances.
public struct ScenarioRunner: Sendable {
    public var environment: ReplayEnvironment
    public var update: Bool

    public init(environment: ReplayEnvironment, update: Bool = false) {
        self.environment = environment
        self.update = update
    }

    /// Runs one scenario against a target made for it (`makeTarget` gets the scenario, so an in-process target can
    /// start at the scenario's clock with the scenario's engine configuration). The target is closed afterwards.
    public func run(_ scenario: Scenario, on makeTarget: (Scenario) async throws -> any ReplayTarget) async -> ScenarioResult {
        let target: any ReplayTarget
        do {
            target = try await makeTarget(scenario)
        } catch {
            let steps = scenario.steps.map { StepResult(name: $0.name, outcome: .failed("the target could not start: \(error)"), seconds: 0) }
            return ScenarioResult(scenario: scenario.name, purpose: scenario.purpose, steps: steps)
        }
        var state = RunState(runId: Self.runId())
        var results: [StepResult] = []
        let verifier: MessageVerifier
        do {
            verifier = try environment.responseVerifier()
        } catch {
            await target.close()
            let steps = scenario.steps.map { StepResult(name: $0.name, outcome: .failed("cannot load the bank's trust: \(error)"), seconds: 0) }
            return ScenarioResult(scenario: scenario.name, purpose: scenario.purpose, steps: steps)
        }
        for (offset, step) in scenario.steps.enumerated() {
            let started = ContinuousClock.now
            var result = StepResult(name: step.name, outcome: .passed, seconds: 0)
            let needsEngine = scenario.inProcessOnly || scenario.engine != nil || step.inProcessOnly == true
                || (step.advance ?? 0) != 0 || (step.housekeeping ?? 0) > 0
            if needsEngine, !target.hasScenarioClock {
                result.outcome = .skipped("needs the in-process engine (the scenario's clock, housekeeping or engine configuration)")
            } else {
                do {
                    try await runStep(step, number: offset + 1, scenario: scenario, target: target, verifier: verifier, state: &state, result: &result)
                } catch {
                    result.outcome = .failed("\(error)")
                }
            }
            let elapsed = ContinuousClock.now - started
            result.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            results.append(result)
        }
        await target.close()
        return ScenarioResult(scenario: scenario.name, purpose: scenario.purpose, steps: results)
    }

    /// Values earlier steps produced, for `{{stepN.Name}}`, and the generated values normalised back to placeholders.
    struct RunState {
        var runId: String
        var values: [Int: [String: String]] = [:]
        var responses: [Int: [UInt8]] = [:]
        var replacements: [(value: String, placeholder: String)] = []
    }

    private func runStep(_ step: Scenario.Step, number: Int, scenario: Scenario, target: any ReplayTarget, verifier: MessageVerifier,
                         state: inout RunState, result: inout StepResult) async throws {
        if let advance = step.advance, advance != 0 {
            guard target.hasScenarioClock else { throw ReplayError("advance needs the in-process engine") }
            target.advance(seconds: advance)
        }
        for _ in 0..<(step.housekeeping ?? 0) {
            guard try await target.housekeeping() else { throw ReplayError("housekeeping needs the in-process engine") }
        }
        let now = target.now()
        let (request, filled, serial) = try makeRequest(step, number: number, scenario: scenario, now: now, state: &state)
        var values: [String: String] = [:]
        let requestText = String(decoding: filled, as: UTF8.self)
        let corporation = Placeholders.firstElement("CorpId", in: requestText) ?? ""
        values["SerialNo"] = serial ?? Placeholders.firstElement("SerialNo", in: requestText)
        values["OrderDigest"] = Placeholders.hex(try Digest.compute(.sha256, request))

        let response = try await target.send(request, connection: step.connection)
        state.responses[number] = response
        let verified: VerifiedMessage
        do {
            verified = try verifier.verify(response, at: now)
        } catch {
            state.values[number] = values
            var text = String(decoding: response.prefix(4000), as: UTF8.self)
            if let signature = text.range(of: "<ds:Signature") { text = String(text[..<signature.lowerBound]) + "…" }
            throw ReplayError("the bank's signature on the response does not verify (\(error)):\n\(text)")
        }
        let binding: SignatureBinding = step.binding?.lowercased() == "cms" ? .cms : .xmlDSig
        guard verified.binding == binding else {
            state.values[number] = values
            throw ReplayError("the response came in the \(verified.binding.rawValue) binding; the request was \(binding.rawValue)")
        }
        let signed = verified.document.root.children.filter { !$0.isNamed("Signature", in: Namespace.xmlDSig) }
        for element in signed.flatMap(\.descendants) where element.children.isEmpty && values[element.name] == nil {
            values[element.name] = element.text
        }
        state.values[number] = values
        let actual = ResponseNormalizer(replacements: state.replacements).text(of: verified.document.root)
        try compare(actual, golden: scenario.file(step.expect), goldenName: "\(scenario.name)/\(step.expect)", result: &result)
        if let earlier = step.sameResponseAs {
            guard state.responses[earlier] == response else {
                throw ReplayError("the response is not byte for byte the response of step \(earlier), as an idempotent resend must be")
            }
        }
        if let expected = step.balances, !expected.isEmpty {
            try await checkBalances(expected, corporation: corporation, target: target, result: &result)
        }
    }

    /// The step's template with placeholders, Timestamp and SerialNo filled in, signed in the step's binding.
    private func makeRequest(_ step: Scenario.Step, number: Int, scenario: Scenario, now: Date,
                             state: inout RunState) throws -> (request: [UInt8], filled: [UInt8], serial: String?) {
        guard let template = FileManager.default.contents(atPath: scenario.file(step.request).path) else {
            throw ReplayError("cannot read request \(step.request)")
        }
        let filledTemplate = try Placeholders.substitute(in: [UInt8](template), values: state.values, now: now)
        var serial: String?
        switch step.serial ?? "fresh" {
        case "fresh":
            let fresh = "R\(state.runId)S\(number < 10 ? "0" : "")\(number)"
            serial = fresh
            state.replacements.append((fresh, "{{step\(number).SerialNo}}"))
        case "keep":
            serial = nil
        case let other:
            serial = String(decoding: try Placeholders.substitute(in: Array(other.utf8), values: state.values, now: now), as: UTF8.self)
        }
        let timestamp: Date?
        switch step.timestamp ?? "now" {
        case "now": timestamp = now
        case "keep": timestamp = nil
        case let other:
            guard let seconds = Double(other) else { throw ReplayError("timestamp must be now, keep or an offset in seconds, not \(other)") }
            timestamp = now.addingTimeInterval(seconds)
        }
        let filled = try MessageTemplate.fill(filledTemplate, timestamp: timestamp, serial: serial)
        let signer = try signer(named: step.signer, scenario: scenario)
        let request = step.binding?.lowercased() == "cms" ? try signer.signCMS(filled) : try signer.signXML(filled)
        return (request, filled, serial)
    }

    private func compare(_ actual: String, golden: URL, goldenName: String, result: inout StepResult) throws {
        let expected = FileManager.default.contents(atPath: golden.path).map { String(decoding: $0, as: UTF8.self) }
        if update {
            if expected != actual {
                do {
                    try Data(actual.utf8).write(to: golden)
                } catch {
                    throw ReplayError("cannot write \(golden.path): \(error)")
                }
                result.outcome = .updated
            }
            return
        }
        guard let expected else {
            throw ReplayError("no golden file \(goldenName); run with --update to create it")
        }
        if let diff = UnifiedDiff.diff(expected: expected, actual: actual, expectedName: goldenName, actualName: "actual response") {
            result.outcome = .failed(diff)
        }
    }

    private func checkBalances(_ expected: [String: String], corporation: String, target: any ReplayTarget, result: inout StepResult) async throws {
        let accounts = expected.keys.sorted()
        guard let actual = try await target.balances(corporation: corporation, accounts: accounts) else {
            result.notes.append("balances not checked: the engine is not visible from here")
            return
        }
        var problems: [String] = []
        for account in accounts where actual[account] != expected[account] {
            problems.append("balance of \(account): expected \(expected[account] ?? "-"), actual \(actual[account] ?? "none")")
        }
        guard !problems.isEmpty else { return }
        let text = problems.joined(separator: "\n")
        if case .failed(let diff) = result.outcome {
            result.outcome = .failed(diff + "\n" + text)
        } else {
            result.outcome = .failed(text)
        }
    }

    private func signer(named name: String, scenario: Scenario) throws -> MessageSigner {
        let own = scenario.file("keys/\(name).key").path
        let base = FileManager.default.fileExists(atPath: own) ? scenario.file("keys/\(name)").path : "\(environment.pkiDirectory)/\(name)"
        do {
            return try MessageSigner(keyPath: base + ".key", certificatePath: base + ".pem")
        } catch {
            throw ReplayError("signer \(name): cannot load \(base).key/.pem: \(error)")
        }
    }

    static func runId() -> String {
        let value = UInt32.random(in: .min ... .max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}

/// `{{stepN.Name}}`, `{{date}}` and `{{date+N}}` in request templates (documented in `Fixtures/README.md`).
enum Placeholders {
    /// Replaces every placeholder in `bytes` (ASCII, so GBK and UTF-8 templates alike); an unknown one is an error.
    static func substitute(in bytes: [UInt8], values: [Int: [String: String]], now: Date) throws -> [UInt8] {
        var text = String(decoding: bytes, as: UTF8.self)
        guard text.contains("{{") else { return bytes }
        guard Array(text.utf8) == bytes else {
            throw ReplayError("placeholders are only supported in UTF-8 templates")
        }
        while let open = text.range(of: "{{"), let close = text.range(of: "}}", range: open.upperBound..<text.endIndex) {
            let name = String(text[open.upperBound..<close.lowerBound])
            text.replaceSubrange(open.lowerBound..<close.upperBound, with: try value(of: name, values: values, now: now))
        }
        return Array(text.utf8)
    }

    static func value(of name: String, values: [Int: [String: String]], now: Date) throws -> String {
        if name == "date" || name.hasPrefix("date+") || name.hasPrefix("date-") {
            let days = Int(name.dropFirst(4)) ?? 0
            let today = Timestamps.format(now).prefix(10)
            guard let date = BusinessDate(String(today)) else { throw ReplayError("bad placeholder {{\(name)}}") }
            return date.adding(days: days).description
        }
        let parts = name.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, parts[0].hasPrefix("step"), let number = Int(parts[0].dropFirst(4)) else {
            throw ReplayError("unknown placeholder {{\(name)}}")
        }
        guard let value = values[number]?[String(parts[1])] else {
            throw ReplayError("placeholder {{\(name)}}: step \(number) has not run or has no \(parts[1])")
        }
        return value
    }

    /// The text of the first `<name>…</name>` in a template.
    static func firstElement(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
