import ArgumentParser
import DirectLinkAudit
import DirectLinkCrypto
import DirectLinkMessage
import Foundation

/// Hidden: appends signed request/response pairs in group commits and prints `ACK <index> <serial>` for each record
/// only after `append` returned (the record is durable). The crash test SIGKILLs it and checks every ACK survived.
struct AuditLoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Append signed messages under load (crash tests).", shouldDisplay: false
    )

    @Option(help: "The log directory.") var dir: String
    @Option(help: "Request/response pairs to append.") var count: Int = 1_000_000
    @Option(help: "Pairs per group commit.") var group: Int = 8
    @Option(help: "Records between signed checkpoints.") var checkpointRecords: Int = 64
    @Option(help: "Demo PKI folder.") var pki: String = ResourceLocator.path("Fixtures/pki")
    @Option(help: "Unsigned request template.") var message: String = ResourceLocator.path("Fixtures/messages/corpa/single-payment.xml")

    func run() throws {
        var limits = AuditLimits()
        limits.checkpointIntervalRecords = checkpointRecords
        let log = try AuditLog(directory: URL(fileURLWithPath: dir), key: PrivateKey(pem: ResourceLocator.read("\(pki)/bank-audit.key")),
                               certificate: Certificate(pem: ResourceLocator.read("\(pki)/bank-audit.pem")), limits: limits)
        let signer = try MessageSigner(keyPath: "\(pki)/corpa-maker-ec.key", certificatePath: "\(pki)/corpa-maker-ec.pem")
        let template = String(decoding: try ResourceLocator.read(message), as: UTF8.self)
        let run = UInt64(Date().timeIntervalSince1970 * 1000)
        var sent = 0
        while sent < count {
            var records: [AuditRecord] = []
            for offset in 0..<min(group, count - sent) {
                let serial = "L\(run)-\(sent + offset)"
                records += try Self.exchange(serial: serial, template: template, signer: signer)
            }
            let indexes = try log.append(records)
            var lines = ""
            for (index, record) in zip(indexes, records) { lines += "ACK \(index) \(record.serialNo)\n" }
            FileHandle.standardOutput.write(Data(lines.utf8))
            try log.checkpointIfDue()
            sent += records.count / 2
        }
        try log.close()
    }

    static func exchange(serial: String, template: String, signer: MessageSigner) throws -> [AuditRecord] {
        let xml = template.replacingOccurrences(of: "A20261125000003", with: serial)
        let signed = try signer.signXML(Array(xml.utf8))
        let now = Date()
        let fingerprint = signer.certificate.fingerprintSHA256
        return [
            AuditRecord(direction: .inbound, receivedAt: now, connectionId: 1, peerFingerprint: fingerprint, corpId: "CORPA001",
                        serialNo: serial, txCode: "PAY.SINGLE", verdict: .verified, retCode: "0000", correlationId: serial, bytes: signed),
            AuditRecord(direction: .outbound, receivedAt: now, connectionId: 1, peerFingerprint: fingerprint, corpId: "CORPA001",
                        serialNo: serial, txCode: "PAY.SINGLE", verdict: .response, retCode: "0000", correlationId: serial,
                        bytes: Array("<Message><Head><SerialNo>\(serial)</SerialNo><RetCode>0000</RetCode></Head></Message>".utf8)),
        ]
    }
}
