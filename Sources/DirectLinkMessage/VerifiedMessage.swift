import DirectLinkCrypto
import DirectLinkXML

/// How a message was signed.
public enum SignatureBinding: String, Sendable, Codable {
    /// Enveloped XML-DSig under the DirectLink profile.
    case xmlDSig = "XMLDSIG"
    /// PKCS#7/CMS SignedData with the XML attached, base64-encoded.
    case cms = "CMS"
}

/// A message whose signature, signer chain and envelope have all been checked.
///
/// Only `MessageVerifier` creates one. `signedBytes` are the exact bytes the signature covers (for XML-DSig: the
/// exclusive canonical form that was digested; for CMS: the attached content). For XML-DSig, `document` is the tree
/// those canonical bytes were serialised from — it still holds `ds:Signature` (outside Head and Body) and any
/// comments, which `XMLElement.text` skips; for CMS it is the parse of `signedBytes`. Either way, whatever the
/// engine reads from Head and Body is what the signer signed.
public struct VerifiedMessage: Sendable {
    public let binding: SignatureBinding
    public let signedBytes: [UInt8]
    public let document: XMLDocument
    public let head: MessageHead
    public let signer: ValidatedChain
    /// The message exactly as received.
    public let receivedBytes: [UInt8]

    /// Lowercase hex SHA-256 of the message exactly as received: the "order digest" approvers sign off on.
    /// Computed when asked for (payments and approvals), not for every query.
    public var messageDigest: String {
        // SHA-256 over bytes in memory fails only if OpenSSL itself is unusable, and verification has just computed
        // digests with it: only a broken installation could get here, and an empty order digest must never be stored.
        guard let digest = try? Digest.compute(.sha256, receivedBytes) else {
            preconditionFailure("OpenSSL could not compute SHA-256 over bytes in memory")
        }
        return digest.hexString
    }

    init(binding: SignatureBinding, signedBytes: [UInt8], receivedBytes: [UInt8], document: XMLDocument, head: MessageHead, signer: ValidatedChain) {
        self.binding = binding
        self.signedBytes = signedBytes
        self.receivedBytes = receivedBytes
        self.document = document
        self.head = head
        self.signer = signer
    }

    /// The single transaction element inside `Body`.
    public var transaction: XMLElement {
        // The verifier checked that Body holds exactly one element before constructing this value.
        guard let body = document.root.child("Body", in: Namespace.directLink), let element = body.firstChildElement else {
            preconditionFailure("VerifiedMessage without a Body element")
        }
        return element
    }
}
