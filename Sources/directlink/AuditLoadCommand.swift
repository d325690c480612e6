import ArgumentParser
import DirectLinkAudit
import DirectLinkCrypto
import DirectLinkMessage
import Foundation

/// Hidden: appends signed request/response pairs in group commits and prints `ACK <index> <correlation id>` for each
/// record only after `append` returned (the record is durable). The crash test SIGKILLs it and checks every ACK survived.
/// With `--presigned` one signed request is reused (correlation ids stay unique), so the writer spends its time in
/// write and fdatasync and a kill can land inside a large write.
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
    @Flag(help: "Sign one request and reuse it.") var presigned = false

    func run() throws {
        var limits = AuditLimits()
        limits.checkpointIntervalRecords = checkpointRecords
        let log = try AuditLog(directory: URL(fileURLWithPath: dir), key: PrivateKey(pem: ResourceLocator.read("\(pki)/bank-audit.key")),
                               certificate: Certificate(pem: ResourceLocator.read("\(pki)/bank-audit.pem")), limits: limits)
        if log.recovery.segmentBytesDropped > 0 {
            FileHandle.standardOutput.write(Data("RECOVERED \(log.recovery.segmentBytesDropped) \(log.recovery.segmentReason ?? "")\n".utf8))
        }
        let signer = try MessageSigner(keyPath: "\(pki)/corpa-maker-ec.key", certificatePath: "\(pki)/corpa-maker-ec.pem")
        let template = String(decoding: try ResourceLocator.read(message), as: UTF8.self)
        let run = UInt64(Date().timeIntervalSince1970 * 1000)
        let reused = try Self.exchange(serial: "P\(run)", template: template, signer: signer)
        var sent = 0
        while sent < count {
            var records: [AuditRecord] = []
            for offset in 0..<min(group, count - sent) {
                let id = "L\(run)-\(sent + offset)"
                var pair = presigned ? reused : try Self.exchange(serial: id, template: template, signer: signer)
                for position in pair.indices { pair[position].correlationId = id }
                records += pair
            }
            let indexes = try log.append(records)
            var lines = ""
            for (index, record) in zip(indexes, records) { lines += "ACK \(index) \(record.correlationId)\n" }
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
