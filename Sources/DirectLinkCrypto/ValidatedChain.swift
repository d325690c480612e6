import Foundation

/// Who signed, as proven by a validated chain. Safe to log and to store in the audit trail
/// (names and fingerprints are public data; no key material).
public struct SignerIdentity: Sendable, Hashable, Codable {
    public let subject: String
    public let issuer: String
    public let serialNumberHex: String
    public let fingerprintSHA256: String
    /// `KeyType.description`, e.g. "RSA-2048", "EC-P256", "SM2".
    public let keyType: String

    public init(subject: String, issuer: String, serialNumberHex: String, fingerprintSHA256: String, keyType: String) {
        self.subject = subject
        self.issuer = issuer
        self.serialNumberHex = serialNumberHex
        self.fingerprintSHA256 = fingerprintSHA256
        self.keyType = keyType
    }

    init(_ certificate: Certificate) {
        self.init(subject: certificate.subject, issuer: certificate.issuer, serialNumberHex: certificate.serialNumberHex,
                  fingerprintSHA256: certificate.fingerprintSHA256, keyType: certificate.keyType.description)
    }
}

/// What the trust store proved: the leaf chains to an anchor, every certificate was valid and unrevoked at the
/// requested time, and the leaf may sign. Only `TrustStore` can create one (the initialiser is internal).
public struct ValidatedChain: Sendable {
    public let leaf: Certificate
    /// Leaf first, up to and including the trust anchor.
    public let chain: [Certificate]
    public let identity: SignerIdentity
    /// The earliest notAfter in the chain and nextUpdate of the CRLs used; the result holds only before it.
    public let validUntil: Date
    /// The latest notBefore in the chain and thisUpdate of the CRLs used; the result holds only from it.
    public let validFrom: Date

    init(chain: [Certificate], validFrom: Date, validUntil: Date) {
        precondition(!chain.isEmpty, "X509_verify_cert succeeded with an empty chain: only an OpenSSL bug can do that")
        self.leaf = chain[0]
        self.chain = chain
        self.identity = SignerIdentity(chain[0])
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// Whether this result may be reused for a check at `time`.
    func holds(at time: Date) -> Bool { validFrom <= time && time < validUntil }
}
