import DirectLinkCrypto
import DirectLinkXML

/// Why a message was refused: a wire code, a reason safe to show the sender, and where in the message.
public struct MessageRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: RetCode
    public let reason: String
    public let path: String?
    public let line: Int?

    public init(_ code: RetCode, _ reason: String, path: String? = nil, line: Int? = nil) {
        self.code = code
        self.reason = reason
        self.path = path
        self.line = line
    }

    public var description: String {
        var text = "\(code.rawValue) \(code.mnemonic): \(reason)"
        if let line { text += " (line \(line))" }
        if let path { text += " at \(path)" }
        return text
    }
}

extension MessageRejection {
    /// The one mapping from the XML layer's errors to wire codes.
    init(_ error: XMLError) {
        let code: RetCode = switch error.code {
        case .documentTooLarge: .frameTooLarge
        case .unsupportedEncoding: .encodingUnsupported
        case .doctype: .xmlDoctype
        case .depthExceeded: .xmlDepthExceeded
        case .tooManyAttributes: .xmlTooManyAttributes
        case .tooManyElements: .xmlTooManyElements
        case .textTooLong: .xmlTextTooLong
        case .processingInstruction: .xmlProcessingInstruction
        case .malformed: .xmlMalformed
        case .schemaInvalid: .schemaInvalid
        case .internalError: .internalError
        }
        self.init(code, error.reason, path: error.path, line: error.line)
    }

    /// The one mapping from the crypto layer's errors to wire codes.
    init(_ error: CryptoError) {
        let code: RetCode = switch error.code {
        case .malformedCertificate: .certificateMalformed
        case .malformedKey, .unsupportedKey, .weakKey: .certificateKeyRejected
        case .keyAlgorithmMismatch: .keyAlgorithmMismatch
        case .signatureInvalid: .signatureInvalid
        case .signatureFormat: .signatureValueFormat
        case .certificateUntrusted: .certificateUntrusted
        case .certificateExpired: .certificateExpired
        case .certificateNotYetValid: .certificateNotYetValid
        case .certificateRevoked: .certificateRevoked
        case .certificateKeyUsage: .certificateKeyUsage
        case .crlUnavailable, .malformedCRL: .crlUnavailable
        case .cmsMalformed: .cmsMalformed
        case .cmsSignatureInvalid: .cmsSignatureInvalid
        case .cmsUnsupported: .cmsUnsupported
        case .unsupportedAlgorithm: .signatureAlgorithmRejected
        case .internalError: .internalError
        }
        self.init(code, error.reason)
    }

    /// Maps any error thrown below the message layer; anything unknown is an internal error.
    static func from(_ error: any Error) -> MessageRejection {
        switch error {
        case let rejection as MessageRejection: rejection
        case let xml as XMLError: MessageRejection(xml)
        case let crypto as CryptoError: MessageRejection(crypto)
        default: MessageRejection(.internalError, "internal error")
        }
    }
}
