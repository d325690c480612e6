import DirectLinkCrypto
import Foundation

/// A signed statement "the log held `treeSize` records with root `rootHash` at `time`".
///
/// The signed bytes are the note text, four lines each ending in "\n":
/// `directlink-audit-v1`, the tree size in decimal, the root hash in standard base64, the time in milliseconds
/// since 1970-01-01T00:00:00Z in decimal. The signature is ECDSA P-256 with SHA-256 over those bytes, DER-encoded,
/// so `openssl dgst -sha256 -verify audit-pub.pem -signature checkpoint.sig checkpoint.txt` checks it.
public struct Checkpoint: Sendable, Equatable {
    public static let origin = "directlink-audit-v1"

    public let treeSize: UInt64
    public let rootHash: [UInt8]
    public let timeMilliseconds: Int64
    /// DER ECDSA signature over `signedText`.
    public let signature: [UInt8]

    public init(treeSize: UInt64, rootHash: [UInt8], timeMilliseconds: Int64, signature: [UInt8]) {
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.timeMilliseconds = timeMilliseconds
        self.signature = signature
    }

    public var time: Date { Date(timeIntervalSince1970: Double(timeMilliseconds) / 1000) }

    public static func signedText(treeSize: UInt64, rootHash: [UInt8], timeMilliseconds: Int64) -> [UInt8] {
        Array("\(origin)\n\(treeSize)\n\(Data(rootHash).base64EncodedString())\n\(timeMilliseconds)\n".utf8)
    }

    public var signedText: [UInt8] { Self.signedText(treeSize: treeSize, rootHash: rootHash, timeMilliseconds: timeMilliseconds) }

    /// Signs with the bank's audit key (EC P-256 only).
    public static func sign(treeSize: UInt64, rootHash: [UInt8], time: Date, key: PrivateKey) throws -> Checkpoint {
        guard key.keyType == .ecP256 else { throw AuditError(.keyRejected, "the audit key must be EC P-256, not \(key.keyType)") }
        let millis = Int64((time.timeIntervalSince1970 * 1000).rounded(.down))
        let text = signedText(treeSize: treeSize, rootHash: rootHash, timeMilliseconds: millis)
        let raw: [UInt8]
        do {
            raw = try key.sign(text, algorithm: .ecdsaP256SHA256)
        } catch {
            throw AuditError(.keyRejected, "cannot sign the checkpoint: \(error)")
        }
        return Checkpoint(treeSize: treeSize, rootHash: rootHash, timeMilliseconds: millis, signature: try ECDSASignatureDER.encode(raw: raw))
    }

    /// True when `certificate`'s key signed this checkpoint.
    public func isSigned(by certificate: Certificate) -> Bool {
        guard let raw = try? ECDSASignatureDER.decode(der: signature) else { return false }
        return (try? certificate.verify(signature: raw, over: signedText, algorithm: .ecdsaP256SHA256)) != nil
    }

    /// The stored form: the note text, "sig " ‖ base64(DER signature) ‖ "\n", then an empty line.
    public var stored: [UInt8] {
        signedText + Array("sig \(Data(signature).base64EncodedString())\n\n".utf8)
    }

    /// Parses one stored block (without its final empty line).
    public static func parse(stored block: String) throws -> Checkpoint {
        guard let cut = block.range(of: "\nsig ", options: .backwards) else {
            throw AuditError(.checkpointMalformed, "signature line missing")
        }
        guard let signature = Data(base64Encoded: String(block[cut.upperBound...])) else {
            throw AuditError(.checkpointMalformed, "signature is not base64")
        }
        return try parse(signedText: Array(block[..<cut.lowerBound].utf8) + [0x0A], signature: [UInt8](signature))
    }

    /// Parses the note text exactly as signed (four lines, each ending in "\n") and attaches `signature`.
    public static func parse(signedText text: [UInt8], signature: [UInt8]) throws -> Checkpoint {
        let bad = { (why: String) in AuditError(.checkpointMalformed, why) }
        guard text.last == 0x0A else { throw bad("checkpoint text must end with a newline") }
        let lines = String(decoding: text.dropLast(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 4, lines[0] == origin else { throw bad("not a \(origin) checkpoint") }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else { throw bad("tree size is not a decimal number") }
        guard let root = Data(base64Encoded: String(lines[2])), root.count == MerkleHash.bytes else {
            throw bad("root hash is not 32 bytes of base64")
        }
        guard let millis = Int64(lines[3]), String(millis) == lines[3] else { throw bad("time is not a decimal number") }
        let checkpoint = Checkpoint(treeSize: size, rootHash: [UInt8](root), timeMilliseconds: millis, signature: signature)
        guard checkpoint.signedText == text else { throw bad("checkpoint text is not in canonical form") }
        return checkpoint
    }
}
