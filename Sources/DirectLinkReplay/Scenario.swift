import DirectLinkGateway
import Foundation

/// One scenario: `Fixtures/scenarios/<name>/scenario.json` and the request templates and golden responses beside it.
/// The format is documented in `Fixtures/README.md`.
public struct Scenario: Sendable {
    public struct Clock: Sendable, Codable {
        /// The bank's clock when the scenario starts, ISO 8601 with an offset (`2026-11-25T10:00:00+08:00`).
        public var start: String

        public var startDate: Date? { Timestamps.parse(start) }
    }

    public struct Step: Sendable, Codable {
        public var name: String
        /// Request template file, relative to the scenario folder.
        public var request: String
        /// Key and certificate that sign the request: `<name>.key`/`<name>.pem` in the scenario's `keys/` folder,
        /// else in `Fixtures/pki/`.
        public var signer: String
        /// TLS client certificate for `--server` mode (`corpa-client`); in-process the connection is not checked.
        public var connection: String?
        /// `fresh` (default: a new unique serial), `keep` (the template's), or a value with placeholders
        /// (`{{step1.SerialNo}}` resends step 1's serial).
        public var serial: String?
        /// `now` (default: the bank's clock), `keep` (the template's), or an offset in seconds from now (`-600`).
        public var timestamp: String?
        /// Seconds the bank's clock moves forward before this step (in-process only).
        public var advance: Int64?
        /// Housekeeping runs (clearing cycles) before this step, after `advance` (in-process only).
        public var housekeeping: Int?
        /// The response must be byte for byte the response of that earlier step (1-based): an idempotent resend.
        public var sameResponseAs: Int?
        /// `xmldsig` (default) or `cms`.
        public var binding: String?
        /// Golden response file, relative to the scenario folder.
        public var expect: String
        /// Expected engine balances after the step: account number → balance (yuan).
        public var balances: [String: String]?
        /// Skipped (with a note) when the target cannot run it, e.g. a daemon whose clock is not the scenario's.
        public var inProcessOnly: Bool?
    }

    public var name: String
    public var directory: URL
    public var purpose: String
    public var clock: Clock?
    /// The whole scenario needs the in-process engine (a fixed clock, or its own engine configuration).
    public var inProcessOnly: Bool
    /// A folder (relative to the scenario) with an engine configuration replacing `conf/engine`.
    public var engine: String?
    public var steps: [Step]

    struct File: Codable {
        var purpose: String
        var clock: Clock?
        var inProcessOnly: Bool?
        var engine: String?
        var steps: [Step]
    }

    /// Loads `<directory>/scenario.json`.
    public static func load(directory: URL) throws -> Scenario {
        let file = directory.appendingPathComponent("scenario.json")
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ReplayError("cannot read \(file.path)")
        }
        let parsed: File
        do {
            parsed = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw ReplayError("\(file.path): \(error)")
        }
        guard !parsed.steps.isEmpty else { throw ReplayError("\(file.path): no steps") }
        if let clock = parsed.clock, Timestamps.parse(clock.start) == nil {
            throw ReplayError("\(file.path): clock.start \(clock.start) is not ISO 8601 with an offset")
        }
        return Scenario(name: directory.lastPathComponent, directory: directory, purpose: parsed.purpose, clock: parsed.clock,
                        inProcessOnly: parsed.inProcessOnly ?? false, engine: parsed.engine, steps: parsed.steps)
    }

    /// The scenarios named on a command line: a scenario folder, or a folder of scenario folders (sorted by name).
    public static func discover(_ paths: [String]) throws -> [Scenario] {
        var result: [Scenario] = []
        for path in paths {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("scenario.json").path) {
                result.append(try load(directory: url))
                continue
            }
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else {
                throw ReplayError("\(path) is neither a scenario nor a folder of scenarios")
            }
            for name in names.sorted() where FileManager.default.fileExists(atPath: url.appendingPathComponent(name).appendingPathComponent("scenario.json").path) {
                result.append(try load(directory: url.appendingPathComponent(name)))
            }
        }
        return result
    }

    public func file(_ relative: String) -> URL {
        directory.appendingPathComponent(relative)
    }
}

/// A replay that could not run at all (unreadable scenario, missing key, unreachable daemon).
public struct ReplayError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
