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
/// Only `MessageVerifier` creates one. `document` is parsed from `signedBytes`, the exact bytes the signature
/// covers (for XML-DSig: the exclusive canonical form that was digested; for CMS: the attached content),
/// so whatever the engine reads from it is what the signer signed — comments and anything outside the
/// signed node-set are gone.
public struct VerifiedMessage: Sendable {
    public let binding: SignatureBinding
    public let signedBytes: [UInt8]
    public let document: XMLDocument
    public let head: MessageHead
    public let signer: ValidatedChain
    /// Lowercase hex SHA-256 of the message exactly as received: the "order digest" approvers sign off on.
    public let messageDigest: String

    init(binding: SignatureBinding, signedBytes: [UInt8], document: XMLDocument, head: MessageHead, signer: ValidatedChain, messageDigest: String) {
        self.binding = binding
        self.signedBytes = signedBytes
        self.document = document
        self.head = head
        self.signer = signer
        self.messageDigest = messageDigest
    }

    /// The single transaction element inside `Body`.
    public var transaction: XMLElement {
        // The verifier checked that Body holds exactly one element before constructing this value.
        guard let body = document.root.child("Body", in: Namespace.directLink), let element = body.children.first else {
            preconditionFailure("VerifiedMessage without a Body element")
        }
        return element
    }
}
