import DirectLinkXML
import Foundation

/// `conf/directlink.json`. Relative paths are resolved against the project home: the folder that holds `conf/`.
public struct DaemonConfiguration: Sendable, Codable {
    public struct Endpoint: Sendable, Codable {
        public var host: String
        public var port: Int
        /// `admin` only: serve `/healthz` and `/metrics` on a host other than loopback (plain HTTP, no
        /// authentication). Absent or false: a non-loopback `admin.host` is refused at start-up.
        public var allowRemote: Bool?

        /// An IP literal in 127.0.0.0/8 or ::1, or the name localhost (a name like 127.example.com is not).
        var isLoopback: Bool {
            if host == "localhost" { return true }
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count == 4, parts[0] == "127", parts.allSatisfy({ UInt8($0) != nil }) { return true }
            return host == "::1" || host == "0:0:0:0:0:0:0:1"
        }
    }
    public struct TLS: Sendable, Codable {
        public var certificateChain: String
        public var privateKey: String
    }
    public struct Trust: Sendable, Codable {
        public var caBundle: String
        public var crls: [String]
    }
    public struct Signing: Sendable, Codable {
        public var certificate: String
        public var privateKey: String
    }
    public struct Audit: Sendable, Codable {
        public var enabled: Bool
        public var certificate: String
        public var privateKey: String
        public var checkpointEveryRecords: Int
        public var checkpointEverySeconds: Int
        /// How long the audit commit thread lets a group gather before its fdatasync (0 = commit at once).
        public var gatherMilliseconds: Double
        /// Where the log's segments and checkpoints live; nil (absent) means `<dataDirectory>/audit`. A device of its
        /// own keeps the log's fdatasyncs from queueing behind the database's.
        public var directory: String?
    }
    public struct Limits: Sendable, Codable {
        public var server: ServerLimits
        public var xml: XMLLimits
    }

    public var listen: Endpoint
    public var admin: Endpoint
    public var dataDirectory: String
    public var tls: TLS
    public var trust: Trust
    public var signing: Signing
    public var audit: Audit
    public var engine: String
    public var schema: String
    public var timeWindowSeconds: Int
    public var housekeepingEverySeconds: Int
    public var limits: Limits

    /// The audit log's folder: `audit.directory`, or `audit` inside the data directory.
    public var auditDirectory: String {
        audit.directory.map(path) ?? URL(fileURLWithPath: path(dataDirectory)).appendingPathComponent("audit").path
    }

    /// The folder relative paths are resolved against.
    public var home: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)

    enum CodingKeys: String, CodingKey {
        case listen, admin, dataDirectory, tls, trust, signing, audit, engine, schema, timeWindowSeconds, housekeepingEverySeconds, limits
    }

    /// Loads and checks the configuration; `path` is usually `<home>/conf/directlink.json`.
    public static func load(path: String) throws -> DaemonConfiguration {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ServerConfigurationError("cannot read \(url.path)")
        }
        var configuration: DaemonConfiguration
        do {
            configuration = try JSONDecoder().decode(DaemonConfiguration.self, from: data)
        } catch {
            throw ServerConfigurationError("\(url.path): \(error)")
        }
        configuration.home = url.deletingLastPathComponent().deletingLastPathComponent()
        try configuration.check()
        return configuration
    }

    /// Relationships between settings, checked at start-up.
    public func check() throws {
        guard admin.isLoopback || admin.allowRemote == true else {
            throw ServerConfigurationError("admin.host \(admin.host) is not loopback: /healthz and /metrics are plain HTTP without authentication; set admin.allowRemote to true to serve them there anyway")
        }
        _ = try limits.server.validated()
        _ = try limits.xml.validated()
        guard limits.xml.documentBytesMax <= limits.server.frameBytesMax else {
            throw ServerConfigurationError("limits.xml.documentBytesMax must not exceed limits.server.frameBytesMax")
        }
        guard timeWindowSeconds > 0, housekeepingEverySeconds > 0 else {
            throw ServerConfigurationError("timeWindowSeconds and housekeepingEverySeconds must be positive")
        }
        guard audit.checkpointEveryRecords > 0, audit.checkpointEverySeconds > 0 else {
            throw ServerConfigurationError("audit checkpoint intervals must be positive")
        }
    }

    /// `relative` resolved against `home` (absolute paths are kept).
    public func path(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : home.appendingPathComponent(relative).path
    }
}
