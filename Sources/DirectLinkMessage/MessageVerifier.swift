import DirectLinkCrypto
import DirectLinkXML
import Foundation

/// Decides whether inbound bytes are exactly what an authorised signer sent.
///
/// Check order (each failure has its own `RetCode`): size → binding → hardened parse → envelope structure →
/// schema (when configured) → signature profile → signer chain → key/algorithm match → digest → signature value
/// → Head and Body, read from the tree that was digested. For CMS: size → base64 → CMS signature and signer chain →
/// the attached XML through the same parse, structure and schema checks.
public final class MessageVerifier: Sendable {
    public let trust: TrustStore
    public let schema: XMLSchema?
    public let limits: XMLLimits

    public init(trust: TrustStore, schema: XMLSchema?, limits: XMLLimits = .default) {
        self.trust = trust
        self.schema = schema
        self.limits = limits
    }

    /// Verifies one message in either binding, detected from its first bytes.
    public func verify(_ bytes: [UInt8], at time: Date = Date()) throws(MessageRejection) -> VerifiedMessage {
        guard bytes.count <= limits.documentBytesMax else {
            throw MessageRejection(.frameTooLarge, "message is \(bytes.count) bytes; the limit is \(limits.documentBytesMax)")
        }
        switch Self.detectBinding(bytes) {
        case .xmlDSig: return try verifyXMLDSig(bytes, at: time)
        case .cms: return try verifyCMS(bytes, at: time)
        case nil: throw MessageRejection(.bindingUnrecognized, "the message is neither XML nor base64 PKCS#7 SignedData")
        }
    }

    /// The Head fields of a message that failed verification, each only if it has the schema's shape: for echoing in
    /// the signed error response, so the client can tell which of its messages was refused. Never trusted for anything.
    public func peekHead(_ bytes: [UInt8]) -> (txCode: String?, corpId: String?, operatorId: String?, serialNo: String?) {
        guard bytes.count <= limits.documentBytesMax, Self.detectBinding(bytes) == .xmlDSig else { return (nil, nil, nil, nil) }
        return Envelope.peekHead(bytes, limits: limits)
    }

    /// XML starts with `<` (after a BOM or white space); CMS is base64 (optionally PEM-armoured) or raw DER.
    public static func detectBinding(_ bytes: [UInt8]) -> SignatureBinding? {
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "<"): return .xmlDSig
        case UInt8(ascii: "-"), UInt8(ascii: "M"), 0x30: return .cms
        default: return nil
        }
    }

    // MARK: XML-DSig

    private func verifyXMLDSig(_ bytes: [UInt8], at time: Date) throws(MessageRejection) -> VerifiedMessage {
        let document = try parse(bytes)
        let (headElement, body, signatureNode) = try Envelope.check(document.root, placement: .enveloped)
        guard let signatureNode else {
            throw MessageRejection(.signatureMissing, "Message has no ds:Signature")
        }
        try validateSchema(document)
        let signature = try SignatureElement(signatureNode)
        let chain = try validateSigner(leafAndIntermediates: signature.certificates, at: time)
        let signedBytes: [UInt8]
        let signedInfo: [UInt8]
        do {
            signedBytes = try document.exclusiveCanonicalization(excluding: signatureNode)
            signedInfo = try document.exclusiveCanonicalization(of: signature.signedInfo)
        } catch {
            throw MessageRejection.from(error)
        }
        let digest = try cryptoStep { try Digest.compute(signature.digestAlgorithm, signedBytes) }
        guard Self.constantTimeEqual(digest, signature.digestValue) else {
            throw MessageRejection(.digestMismatch, "the \(signature.digestAlgorithm.rawValue) digest of the message does not match DigestValue: the message was changed after signing", path: signatureNode.path)
        }
        try cryptoStep { try chain.leaf.verify(signature: signature.signatureValue, over: signedInfo, algorithm: signature.algorithm) }
        return try finish(binding: .xmlDSig, signedBytes: signedBytes, received: bytes, chain: chain, document: document, head: headElement, body: body)
    }

    // MARK: CMS

    private func verifyCMS(_ bytes: [UInt8], at time: Date) throws(MessageRejection) -> VerifiedMessage {
        let der: [UInt8]
        if bytes.first == 0x30 {
            der = bytes
        } else {
            let text = String(decoding: bytes, as: UTF8.self)
                .split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined(separator: "\n")
            guard let decoded = Base64.decode(text) else {
                throw MessageRejection(.cmsMalformed, "the PKCS#7 message is not valid base64")
            }
            der = decoded
        }
        let verified = try cryptoStep { try CMS.verify(der: der, trust: trust, at: time) }
        let document = try parse(verified.content)
        let (head, body, _) = try Envelope.check(document.root, placement: .none)
        try validateSchema(document)
        return try finish(binding: .cms, signedBytes: verified.content, received: bytes, chain: verified.chain, document: document, head: head, body: body)
    }

    // MARK: Shared steps

    private func parse(_ bytes: [UInt8]) throws(MessageRejection) -> XMLDocument {
        do {
            return try XMLDocument.parse(bytes, limits: limits, readOnly: true)
        } catch {
            throw MessageRejection(error)
        }
    }

    private func validateSchema(_ document: XMLDocument) throws(MessageRejection) {
        guard let schema else { return }
        do {
            try schema.validate(document)
        } catch {
            throw MessageRejection(error)
        }
    }

    /// The signer's certificate is the one that issued none of the others in KeyInfo (xmlsec1 and DirectLink put it
    /// first; other signers may not); the rest are untrusted intermediates for chain building.
    private func validateSigner(leafAndIntermediates certificates: [[UInt8]], at time: Date) throws(MessageRejection) -> ValidatedChain {
        guard let first = certificates.first else {
            throw MessageRejection(.keyInfoRejected, "KeyInfo carries no certificate")
        }
        var leaf = first
        var others = Array(certificates.dropFirst())
        if !others.isEmpty {
            let parsed = try cryptoStep { try certificates.map { try Certificate(der: $0) } }
            let issuers = Set(parsed.map(\.issuer))
            let leaves = parsed.indices.filter { !issuers.contains(parsed[$0].subject) }
            guard leaves.count == 1, let index = leaves.first else {
                throw MessageRejection(.keyInfoRejected, "X509Data must hold one signer certificate and its intermediates")
            }
            leaf = certificates[index]
            others = certificates.enumerated().filter { $0.offset != index }.map(\.element)
        }
        let chosen = leaf, intermediates = others
        return try cryptoStep { try trust.validate(leafDER: chosen, intermediatesDER: intermediates, at: time) }
    }

    /// Reads Head and checks Body against TxCode in the document whose signed node-set was just verified.
    ///
    /// For XML-DSig the document is the very tree that was canonicalized and digested (canonicalization is a function
    /// of the tree, so there is no second document that could differ), and the engine reads only Head and Body, which
    /// the envelope check has placed outside ds:Signature; `XMLElement.text` reads character data only, so a comment
    /// inside a value (`1000<!---->.00`) contributes nothing, exactly as in the canonical form. For CMS it is the parse
    /// of the attached content, the exact signed bytes.
    private func finish(binding: SignatureBinding, signedBytes: [UInt8], received: [UInt8], chain: ValidatedChain,
                        document: XMLDocument, head headElement: XMLElement, body: XMLElement) throws(MessageRejection) -> VerifiedMessage {
        let head = try Envelope.head(headElement)
        try Envelope.checkBody(body, head: head)
        return VerifiedMessage(binding: binding, signedBytes: signedBytes, receivedBytes: received, document: document, head: head, signer: chain)
    }

    private func cryptoStep<T>(_ body: () throws -> T) throws(MessageRejection) -> T {
        do {
            return try body()
        } catch {
            throw MessageRejection.from(error)
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
