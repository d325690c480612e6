import ArgumentParser
import DirectLinkAudit
import DirectLinkCrypto
import DirectLinkServer
import Foundation

/// `directlink audit …`: check the tamper-evident audit log offline (docs/audit.md).
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, export and prove against the tamper-evident audit log.",
        subcommands: [AuditVerifyCommand.self, AuditExportCommand.self, AuditVerifyExportCommand.self, AuditProveCommand.self,
                      AuditConsistencyCommand.self, AuditBenchCommand.self, AuditLoadCommand.self]
    )

    static func trustStore(_ trust: String?, crl: [String]) throws -> TrustStore? {
        try trust.map { try TrustStore(caBundlePath: $0, crlPaths: crl) }
    }

    /// `--dir`, or else the directory the daemon of `config` writes its log to (`audit.directory`, by default
    /// `<dataDirectory>/audit`), so `directlink audit prove --corp C --serial S` works from the project home.
    static func logDirectory(_ dir: String?, config: String) throws -> URL {
        if let dir { return URL(fileURLWithPath: dir) }
        do {
            return URL(fileURLWithPath: try DaemonConfiguration.load(path: config).auditDirectory)
        } catch {
            throw ValidationError("no --dir given and \(config) could not be read (\(error)); pass --dir LOGDIR")
        }
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func printJSON(_ object: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every leaf and the tree, check every checkpoint, re-verify inbound signatures.",
        discussion: "Prints OK and a summary, or FAIL and the first bad record or checkpoint. Exit 0 only when all holds."
    )

    @Argument(help: "The log directory.") var logDirectory: String
    @Option(help: "Trusted CA bundle (PEM): checks the audit certificate and every inbound message's signature.") var trust: String?
    @Option(help: "CRL file (PEM); repeat for several.") var crl: [String] = []
    @Option(help: "SHA-256 of the bank's published audit certificate (hex); without it any trusted certificate is accepted.")
    var auditFingerprint: String?
    @Flag(help: "Accept records no signed checkpoint covers (only for a copy of a running daemon's log; a cleanly closed log has none).")
    var allowUncovered = false
    @Flag(help: "Also verify the bank's signature on every signed response (needs --trust covering the bank's signing certificate): names a changed response exactly.")
    var responses = false
    @Option(help: "With --responses: the bank's response-signing certificate (PEM; repeat for several); a response signed by any other certificate fails.")
    var bankCert: [String] = []

    func run() throws {
        let store = try AuditCommand.trustStore(trust, crl: crl)
        if responses && store == nil { throw ValidationError("--responses needs --trust") }
        do {
            let verifier = AuditVerifier(trust: store, auditCertificateFingerprint: auditFingerprint, allowUncovered: allowUncovered,
                                         checkResponses: responses,
                                         responseSigners: try bankCert.map { try Certificate(pem: Array(try String(contentsOfFile: $0, encoding: .utf8).utf8)) })
            let summary = try verifier.verify(directory: URL(fileURLWithPath: logDirectory))
            print("OK \(logDirectory): \(summary.records) records, \(summary.checkpoints) checkpoints, consistency holds between each consecutive pair")
            print("   checkpoints signed by the audit certificate sha256=\(summary.auditCertificateFingerprint)"
                  + (auditFingerprint == nil ? " (NOT pinned: compare it with the bank's published one)" : " (pinned)"))
            if store == nil {
                print("   inbound signatures NOT checked (no --trust given)")
            } else {
                print("   \(summary.inboundSignaturesChecked) inbound signatures verified; \(summary.inboundRejected) frames the daemon rejected were not re-checked")
            }
            if responses {
                print("   \(summary.responseSignaturesChecked) response signatures verified; \(summary.responsesNotChecked) responses carry none to check (plain errors for unreadable frames)")
            }
            if summary.recordsAfterLastCheckpoint > 0 {
                print("   \(summary.recordsAfterLastCheckpoint) newest records are not yet covered by a signed checkpoint (accepted: --allow-uncovered)")
            }
        } catch let error as AuditError {
            print("FAIL \(logDirectory): \(error)")
            throw ExitCode(1)
        }
    }
}

struct AuditProveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Inclusion proof (JSON) for a corporation's SerialNo against the newest checkpoint."
    )

    @Option(help: "The log directory (default: the daemon's, from --config).") var dir: String?
    @Option(help: "Daemon configuration that names the log directory when --dir is not given.") var config = "conf/directlink.json"
    @Option(help: "CorpId.") var corp: String
    @Option(help: "SerialNo.") var serial: String

    func run() throws {
        var indexes: [UInt64] = []
        let contents = try AuditLogReader.read(directory: try AuditCommand.logDirectory(dir, config: config)) { index, record, _ in
            if record.corpId == corp, record.serialNo == serial { indexes.append(index) }
        }
        guard let checkpoint = contents.checkpoints.last else { throw CLIError("the log has no checkpoint yet") }
        let covered = indexes.filter { $0 < checkpoint.treeSize }
        guard !covered.isEmpty else { throw CLIError("no record of \(corp) \(serial) is covered by the newest checkpoint") }
        var entries: [[String: Any]] = []
        for index in covered {
            let leaf = contents.tree.leafHash(at: index)
            let proof = contents.tree.inclusionProof(leafIndex: index, treeSize: checkpoint.treeSize)
            guard MerkleProof.verifyInclusion(leafHash: leaf, leafIndex: index, treeSize: checkpoint.treeSize, proof: proof,
                                              rootHash: checkpoint.rootHash) else {
                throw CLIError("the log does not reproduce the checkpoint; run `directlink audit verify`")
            }
            entries.append(["leafIndex": index, "leafHash": AuditCommand.hex(leaf), "inclusionProof": proof.map(AuditCommand.hex)])
        }
        try AuditCommand.printJSON([
            "checkpoint": String(decoding: checkpoint.signedText, as: UTF8.self),
            "checkpointSignature": AuditCommand.base64(checkpoint.signature),
            "entries": entries,
        ])
    }
}

struct AuditConsistencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "Consistency proof (JSON) that the tree of N1 records is a prefix of the tree of N2 records."
    )

    @Option(help: "The log directory (default: the daemon's, from --config).") var dir: String?
    @Option(help: "Daemon configuration that names the log directory when --dir is not given.") var config = "conf/directlink.json"
    @Argument(help: "Older tree size.") var n1: UInt64
    @Argument(help: "Newer tree size.") var n2: UInt64

    func run() throws {
        let tree = try AuditLogReader.read(directory: try AuditCommand.logDirectory(dir, config: config)).tree
        guard n1 <= n2, n2 <= tree.size else { throw ValidationError("need N1 ≤ N2 ≤ \(tree.size) (the log's size)") }
        let proof = tree.consistencyProof(from: n1, to: n2)
        let (old, new) = (tree.rootHash(size: n1), tree.rootHash(size: n2))
        guard MerkleProof.verifyConsistency(firstSize: n1, firstRoot: old, secondSize: n2, secondRoot: new, proof: proof) else {
            throw CLIError("internal error: the proof does not verify")
        }
        try AuditCommand.printJSON([
            "size1": n1, "size2": n2, "root1": AuditCommand.base64(old), "root2": AuditCommand.base64(new),
            "proof": proof.map(AuditCommand.hex),
        ])
    }
}
