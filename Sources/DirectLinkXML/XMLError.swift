/// An XML input problem. Codes are stable and listed in the order the checks run;
/// `Schemas/README.md` §6 maps each to its wire `RetCode`.
public struct XMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// The document is larger than `XMLLimits.documentBytesMax`.
        case documentTooLarge
        /// The bytes do not start like an XML document in an accepted encoding (UTF-16, UTF-32 and binary are refused).
        case unsupportedEncoding
        /// A `<!DOCTYPE …>` (internal or external subset) was present. DTDs and entity declarations are never accepted.
        case doctype
        /// Nesting is deeper than `XMLLimits.depthMax`.
        case depthExceeded
        /// An element carries more attributes (namespace declarations included) than `XMLLimits.attributesPerElementMax`.
        case tooManyAttributes
        /// The document has more elements than `XMLLimits.elementsMax`.
        case tooManyElements
        /// A text node is longer than `XMLLimits.textBytesMax` bytes (UTF-8).
        case textTooLong
        /// A processing instruction other than the XML declaration.
        case processingInstruction
        /// Not well-formed XML (libxml2's message and line are in the reason).
        case malformed
        /// The document does not conform to the XSD.
        case schemaInvalid
        /// A bug or resource failure inside libxml2.
        case internalError
    }

    public let code: Code
    public let reason: String
    /// 1-based line of the offending input, when known.
    public let line: Int?
    /// Element path such as `/Message/Body/SinglePayment/Amount`, when known.
    public let path: String?

    public init(_ code: Code, _ reason: String, line: Int? = nil, path: String? = nil) {
        self.code = code
        self.reason = reason
        self.line = line
        self.path = path
    }

    public var description: String {
        var text = "\(code.rawValue): \(reason)"
        if let line { text += " (line \(line))" }
        if let path { text += " at \(path)" }
        return text
    }
}
