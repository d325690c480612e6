import ArgumentParser
import DirectLinkAudit
import Foundation

struct AuditExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a self-contained bundle of one corporation's messages with inclusion proofs.",
        discussion: "Dates are UTC days (2026-11-25, both ends included) or ISO 8601 times. Only records covered by the newest checkpoint are exported."
    )

    @Option(help: "The log directory (default: the daemon's, from --config).") var dir: String?
    @Option(help: "Daemon configuration that names the log directory when --dir is not given.") var config = "conf/directlink.json"
    @Option(help: "CorpId.") var corp: String
    @Option(help: "First day or time.") var from: String
    @Option(help: "Last day (included) or time (excluded).") var to: String
    @Argument(help: "Output folder (must not exist).") var out: String

    func run() throws {
        let start = try Self.parse(from, endOfDay: false)
        let end = try Self.parse(to, endOfDay: true)
        let manifest = try AuditExport.export(directory: try AuditCommand.logDirectory(dir, config: config), corpId: corp, from: start, to: end,
                                              output: URL(fileURLWithPath: out))
        print("exported \(manifest.entries.count) records of \(corp) against the checkpoint of size \(manifest.treeSize) to \(out)")
        if manifest.recordsNotYetCheckpointed > 0 {
            print("\(manifest.recordsNotYetCheckpointed) matching records are newer than the newest checkpoint and were left out")
        }
    }

    static func parse(_ text: String, endOfDay: Bool) throws -> Date {
        if let time = ISO8601DateFormatter().date(from: text) { return time }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        day.timeZone = TimeZone(identifier: "UTC")
        guard let date = day.date(from: text) else { throw ValidationError("\(text) is neither a date (2026-11-25) nor an ISO 8601 time") }
        return endOfDay ? date + 86_400 : date
    }
}

struct AuditVerifyExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-export",
        abstract: "Check an export bundle offline: checkpoint signature, every record, leaf hash and inclusion proof."
    )

    @Argument(help: "The bundle folder.") var out: String
    @Option(help: "Trusted CA bundle (PEM): checks the audit certificate and the inbound messages' signatures.") var trust: String?
    @Option(help: "CRL file (PEM); repeat for several.") var crl: [String] = []
    @Option(help: "SHA-256 of the bank's published audit certificate (hex).") var auditFingerprint: String?

    func run() throws {
        let store = try AuditCommand.trustStore(trust, crl: crl)
        do {
            let summary = try AuditExport.verify(bundle: URL(fileURLWithPath: out), trust: store, auditCertificateFingerprint: auditFingerprint)
            print("OK \(out): \(summary.entries) records proven included in the signed tree of \(summary.treeSize) records")
            print("   audit certificate sha256=\(summary.auditCertificateFingerprint)"
                  + (auditFingerprint == nil ? " (NOT pinned: compare it with the bank's published one)" : " (pinned)"))
            print(store == nil ? "   inbound signatures NOT checked (no --trust given)"
                               : "   \(summary.inboundSignaturesChecked) inbound signatures verified")
        } catch let error as AuditError {
            print("FAIL \(out): \(error)")
            throw ExitCode(1)
        }
    }
}
