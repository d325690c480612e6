import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation
import Testing

/// Paths into the repository, found from this file's location so tests run from any directory.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relativePath: String) -> String {
        root.appendingPathComponent(relativePath).path
    }

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relativePath)))
    }
}

/// The demo PKI, fixture messages and a verifier configured like production (CA bundle, both CRLs, the XSD).
enum Fixture {
    static let messageNames = [
        "approve.xml", "balance-query.xml", "batch-payment.xml", "cancel.xml", "detail-query.xml",
        "payment-status.xml", "pending-approvals.xml", "prevalidate.xml", "reject.xml", "server-time.xml",
        "single-payment-gbk.xml", "single-payment.xml",
    ]

    /// The three key types one operator (CORPA001 / MAKER01) holds.
    static let makerKeys = ["corpa-maker-rsa", "corpa-maker-ec", "corpa-maker-sm2"]

    static func pki(_ file: String) -> String { Repository.path("Fixtures/pki/\(file)") }

    static func message(_ name: String) throws -> [UInt8] {
        try Repository.bytes("Fixtures/messages/corpa/\(name)")
    }

    /// The single-payment template as text (UTF-8).
    static func singlePaymentText() throws -> String {
        String(decoding: try message("single-payment.xml"), as: UTF8.self)
    }

    static func signer(_ name: String) throws -> MessageSigner {
        try MessageSigner(keyPath: pki("\(name).key"), certificatePath: pki("\(name).pem"))
    }

    static func key(_ name: String) throws -> PrivateKey {
        try PrivateKey(pem: try Repository.bytes("Fixtures/pki/\(name).key"))
    }

    static func certificate(_ name: String) throws -> Certificate {
        try Certificate(pem: try Repository.bytes("Fixtures/pki/\(name).pem"))
    }

    static func makeVerifier(limits: XMLLimits = .default) throws -> MessageVerifier {
        MessageVerifier(
            trust: try TrustStore(caBundlePath: pki("ca-bundle.pem"), crlPaths: [pki("crls.pem")]),
            schema: try XMLSchema(xsd: try Repository.bytes("Schemas/directlink-1.xsd")),
            limits: limits
        )
    }

    private static let shared = Result { try makeVerifier() }

    /// One verifier shared by every test (it is Sendable and its trust store caches chains).
    static func verifier() throws -> MessageVerifier { try shared.get() }

    /// `name` signed with the XML-DSig binding by `key` (e.g. "corpa-maker-rsa").
    static func signed(_ name: String = "single-payment.xml", by key: String = "corpa-maker-rsa") throws -> [UInt8] {
        try signer(key).signXML(try message(name))
    }

    /// An unsigned template text signed by `key`, returned as text.
    static func signedText(_ template: String, by key: String = "corpa-maker-rsa") throws -> String {
        String(decoding: try signer(key).signXML(Array(template.utf8)), as: UTF8.self)
    }
}

/// Verifies `bytes` and returns the rejection; records a failure when the message is accepted.
func rejection(of bytes: [UInt8], verifier: MessageVerifier? = nil,
               sourceLocation: SourceLocation = #_sourceLocation) throws -> MessageRejection {
    let verifier = try verifier ?? Fixture.verifier()
    return try #require(throws: MessageRejection.self, sourceLocation: sourceLocation) {
        _ = try verifier.verify(bytes)
    }
}

func rejection(of text: String, verifier: MessageVerifier? = nil,
               sourceLocation: SourceLocation = #_sourceLocation) throws -> MessageRejection {
    try rejection(of: Array(text.utf8), verifier: verifier, sourceLocation: sourceLocation)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }

    /// Replaces `old` with `new`, failing when `old` does not occur exactly `count` times
    /// (so an attack that silently did nothing cannot pass).
    func replacingExactly(_ old: String, with new: String, count: Int = 1) throws -> String {
        let found = components(separatedBy: old).count - 1
        guard found == count else {
            throw TestFailure("expected \(count) occurrence(s) of \(old.prefix(120)), found \(found)")
        }
        return replacingOccurrences(of: old, with: new)
    }

    /// The text of the first `<name>…</name>`, read without any XML library.
    func firstElementText(_ name: String) -> String? {
        guard let open = range(of: "<\(name)>"), let close = range(of: "</\(name)>", range: open.upperBound..<endIndex) else {
            return nil
        }
        return String(self[open.upperBound..<close.lowerBound])
    }

    /// The first complete `<prefixed>…</prefixed>` element (start tag may carry attributes).
    func firstElement(_ qualifiedName: String) throws -> String {
        guard let open = range(of: "<\(qualifiedName)"),
              let close = range(of: "</\(qualifiedName)>", range: open.upperBound..<endIndex) else {
            throw TestFailure("no <\(qualifiedName)> element")
        }
        return String(self[open.lowerBound..<close.upperBound])
    }
}

// MARK: - Signing crafted documents

/// Re-computes a VALID DigestValue and SignatureValue over a crafted document, so that a rejection can only come
/// from the profile or structure rule under test and never from a broken digest or signature.
enum Resigner {
    /// The first ds:Signature in document order.
    static func signatureElement(_ document: XMLDocument) throws -> XMLElement {
        let all = [document.root] + document.root.descendants
        guard let signature = all.first(where: { $0.isNamed("Signature", in: Namespace.xmlDSig) }) else {
            throw TestFailure("no ds:Signature")
        }
        return signature
    }

    static func firstDescendant(_ element: XMLElement, _ name: String) throws -> XMLElement {
        guard let found = element.descendants.first(where: { $0.isNamed(name, in: Namespace.xmlDSig) }) else {
            throw TestFailure("no ds:\(name)")
        }
        return found
    }

    /// Recomputes DigestValue (with the declared DigestMethod when the profile knows it, else SHA-256) and
    /// signs SignedInfo with `keyName`'s key. `encodeSignature` may reshape the raw signature (e.g. to DER).
    static func resign(_ text: String, with keyName: String = "corpa-maker-rsa", algorithm: SignatureAlgorithm? = nil,
                       encodeSignature: ([UInt8]) -> [UInt8] = { $0 }) throws -> [UInt8] {
        let document = try XMLDocument.parse(Array(text.utf8))
        let signature = try signatureElement(document)
        let signedInfo = try firstDescendant(signature, "SignedInfo")
        let digestMethod = try firstDescendant(signedInfo, "DigestMethod")
        let digestAlgorithm = digestMethod.attribute("Algorithm").flatMap { SignatureProfile.digestMethods[$0] } ?? .sha256
        let digest = try Digest.compute(digestAlgorithm, try document.exclusiveCanonicalization(excluding: signature))
        try firstDescendant(signedInfo, "DigestValue").setText(Base64.encode(digest))
        let key = try Fixture.key(keyName)
        let algorithm = try algorithm ?? SignatureProfile.methods(for: key.keyType).algorithm
        let value = try key.sign(try document.exclusiveCanonicalization(of: signedInfo), algorithm: algorithm)
        try firstDescendant(signature, "SignatureValue").setText(Base64.encode(encodeSignature(value)))
        return try document.serialized()
    }
}

// MARK: - ECDSA/SM2 signature encodings (independent of the code under test)

enum ECSignatureEncoding {
    /// raw r‖s → DER SEQUENCE { INTEGER r, INTEGER s }.
    static func der(fromRaw raw: [UInt8]) -> [UInt8] {
        precondition(raw.count % 2 == 0, "raw r‖s has two equal halves")
        let half = raw.count / 2
        let body = integer(Array(raw[..<half])) + integer(Array(raw[half...]))
        return [0x30] + length(body.count) + body
    }

    /// DER SEQUENCE { INTEGER r, INTEGER s } → raw r‖s, each half left-padded to `halfBytes`.
    static func raw(fromDER der: [UInt8], halfBytes: Int = 32) throws -> [UInt8] {
        var index = 0
        func readLength() throws -> Int {
            guard index < der.count else { throw TestFailure("truncated DER") }
            let first = Int(der[index]); index += 1
            if first < 0x80 { return first }
            let count = first & 0x7F
            guard count <= 2, index + count <= der.count else { throw TestFailure("bad DER length") }
            var value = 0
            for _ in 0..<count { value = value << 8 | Int(der[index]); index += 1 }
            return value
        }
        func readInteger() throws -> [UInt8] {
            guard index < der.count, der[index] == 0x02 else { throw TestFailure("expected INTEGER") }
            index += 1
            let count = try readLength()
            guard index + count <= der.count else { throw TestFailure("truncated INTEGER") }
            var bytes = Array(der[index..<index + count]); index += count
            while bytes.count > 1, bytes[0] == 0 { bytes.removeFirst() }
            guard bytes.count <= halfBytes else { throw TestFailure("INTEGER longer than \(halfBytes) bytes") }
            return [UInt8](repeating: 0, count: halfBytes - bytes.count) + bytes
        }
        guard der.first == 0x30 else { throw TestFailure("expected SEQUENCE") }
        index = 1
        let total = try readLength()
        guard index + total == der.count else { throw TestFailure("SEQUENCE length mismatch") }
        return try readInteger() + readInteger()
    }

    private static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var bytes = Array(magnitude.drop { $0 == 0 })
        if bytes.isEmpty { bytes = [0] }
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return [0x02] + length(bytes.count) + bytes
    }

    private static func length(_ count: Int) -> [UInt8] {
        count < 0x80 ? [UInt8(count)] : [0x81, UInt8(count)]
    }
}

// MARK: - External tools

struct ToolResult {
    let status: Int32
    let output: String
    let error: String
}

/// A fresh temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("directlink-msgtests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

enum Tool {
    static let xmlsec1 = "/usr/bin/xmlsec1"
    static let openssl = "/usr/bin/openssl"

    /// Fails (never skips) when a CLI the interop tests need is missing.
    static func require(_ executable: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable),
                     "\(executable) is missing: install it (apt-get install xmlsec1 openssl; .ci/run does this in CI)",
                     sourceLocation: sourceLocation)
    }

    /// Runs `executable` with `arguments`; stdout and stderr go to files so a chatty tool cannot block on a pipe.
    static func run(_ executable: String, _ arguments: [String], in directory: TemporaryDirectory) throws -> ToolResult {
        let name = UUID().uuidString
        let outPath = directory.path("\(name).out"), errPath = directory.path("\(name).err")
        guard FileManager.default.createFile(atPath: outPath, contents: nil),
              FileManager.default.createFile(atPath: errPath, contents: nil) else {
            throw TestFailure("cannot create output files in \(directory.url.path)")
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return ToolResult(
            status: process.terminationStatus,
            output: String(decoding: try directory.read("\(name).out"), as: UTF8.self),
            error: String(decoding: try directory.read("\(name).err"), as: UTF8.self)
        )
    }
}
