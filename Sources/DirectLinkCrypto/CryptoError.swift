/// The one error type this module throws: a stable code plus a human reason.
///
/// `reason` carries the drained OpenSSL error queue where that helps an operator; it never contains
/// key material or message bodies. Callers switch on `code`; the wire mapping lives with the protocol.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Codes, grouped roughly in the order checks run: parse → key policy → signature → chain → CMS.
    public enum Code: String, Sendable {
        case malformedKey, malformedCertificate, malformedCRL
        case unsupportedKey, weakKey, keyAlgorithmMismatch
        case signatureInvalid, signatureFormat
        case certificateUntrusted, certificateExpired, certificateNotYetValid, certificateRevoked, certificateKeyUsage
        case crlUnavailable
        case cmsMalformed, cmsSignatureInvalid, cmsUnsupported
        case unsupportedAlgorithm
        case internalError
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
