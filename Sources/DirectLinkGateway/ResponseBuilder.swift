import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation

/// What a response says besides its body: the envelope result of the two-level result model.
public struct ResponseStatus: Sendable, Equatable {
    public var retCode: RetCode
    /// Overrides the table's message when the check has something more specific to say (never secrets).
    public var detail: String?
    public var errorPath: String?
    public var ruleId: String?
    public var serverTime: Date?

    public init(_ retCode: RetCode, detail: String? = nil, errorPath: String? = nil, ruleId: String? = nil, serverTime: Date? = nil) {
        self.retCode = retCode
        self.detail = detail
        self.errorPath = errorPath
        self.ruleId = ruleId
        self.serverTime = serverTime
    }

    public static let ok = ResponseStatus(.ok)

    var severity: String {
        switch retCode {
        case .ok: "OK"
        case .internalError, .serviceUnavailable, .crlUnavailable: "ERROR"
        default: "REJECTED"
        }
    }
}

/// A response body: the result element's name and a closure that fills it.
public struct ResponseBody: Sendable {
    public let element: String
    public let fill: @Sendable (XMLElement) -> Void

    public init(_ element: String, fill: @escaping @Sendable (XMLElement) -> Void = { _ in }) {
        self.element = element
        self.fill = fill
    }

    public static let error = ResponseBody("ErrorResult")
}

/// Builds a response envelope from the schema's shape and signs it with the bank's key, in the binding of the request.
public struct ResponseBuilder: Sendable {
    public let signer: MessageSigner

    public init(signer: MessageSigner) {
        self.signer = signer
    }

    /// The request fields a response echoes; any may be unknown when the request could not be read.
    public struct Echo: Sendable {
        public var txCode: String?
        public var corpId: String?
        public var operatorId: String?
        public var serialNo: String?
        public var correlationId: String

        public init(txCode: String? = nil, corpId: String? = nil, operatorId: String? = nil, serialNo: String? = nil, correlationId: String) {
            self.txCode = txCode
            self.corpId = corpId
            self.operatorId = operatorId
            self.serialNo = serialNo
            self.correlationId = correlationId
        }
    }

    public func build(echo: Echo, status: ResponseStatus, body: ResponseBody, binding: SignatureBinding, now: Date) throws -> [UInt8] {
        let document = XMLDocument.create(rootName: "Message", namespaceURI: Namespace.directLink)
        let ns = Namespace.directLink
        let head = document.root.appendElement("Head", namespaceURI: ns)
        func add(_ name: String, _ value: String?) {
            if let value { head.appendElement(name, namespaceURI: ns, text: value) }
        }
        add("TxCode", echo.txCode)
        add("CorpId", echo.corpId)
        add("OperatorId", echo.operatorId)
        add("SerialNo", echo.serialNo)
        add("Timestamp", Timestamps.format(now))
        add("RetCode", status.retCode.rawValue)
        add("Severity", status.severity)
        add("Retryable", status.retCode.retryable ? "true" : "false")
        add("RetMsg", status.retCode.messageZh)
        add("RetMsgEn", Self.clip(status.detail.map { "\(status.retCode.messageEn): \($0)" } ?? status.retCode.messageEn))
        add("ErrorPath", status.errorPath.map(Self.clip))
        add("RuleId", status.ruleId)
        add("CorrelationId", echo.correlationId)
        add("ServerTime", status.serverTime.map(Timestamps.format))
        let bodyElement = document.root.appendElement("Body", namespaceURI: ns)
        body.fill(bodyElement.appendElement(body.element, namespaceURI: ns))
        switch binding {
        case .xmlDSig:
            try signer.appendSignature(to: document)
            return try document.serialized(encoding: "UTF-8")
        case .cms:
            return try signer.signCMS(try document.serialized(encoding: "UTF-8"))
        }
    }

    /// The schema's `Text` type allows 200 characters.
    static func clip(_ text: String) -> String {
        text.count <= 200 ? text : String(text.prefix(197)) + "..."
    }
}

/// Protocol timestamps: ISO 8601 with an explicit offset; the bank writes Beijing time (+08:00).
public enum Timestamps {
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// Parses `2026-11-25T10:15:30+08:00`, `…Z`, with or without fractional seconds.
    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
