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
    /// The engine had seen this serial before (a resend, or a conflict): the response journal decides what to answer.
    var serialSeenBefore = false
    /// The business status a payment answer carries (`PaymentStatus` raw value, or the batch's status): counted in
    /// `directlink_payment_status_total`, so a payment that enters approval shows in the metrics.
    var paymentStatus: String?

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
/// Formatting and parsing are plain arithmetic (no locale, no ICU): they run twice per message.
public enum Timestamps {
    static let beijingOffsetSeconds = 8 * 3600

    public static func format(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + beijingOffsetSeconds
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))+08:00"
    }

    /// Parses `2026-11-25T10:15:30+08:00`, `…Z`, with or without fractional seconds; nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
              let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2), let second = number(bytes, 17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            var scale = 0.1
            index += 1
            let start = index
            while index < bytes.count, (48...57).contains(bytes[index]) {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start, index - start <= 9 else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        if bytes[index] == UInt8(ascii: "Z") {
            guard index + 1 == bytes.count else { return nil }
        } else {
            guard index + 6 == bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"),
                  bytes[index + 3] == UInt8(ascii: ":"), let hours = number(bytes, index + 1, 2), let minutes = number(bytes, index + 4, 2),
                  hours < 24, minutes < 60 else { return nil }
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        }
        let days = Self.days(fromCivil: year, month, day)
        let epoch = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(epoch) + fraction)
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for byte in bytes[start..<start + count] {
            guard (48...57).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    /// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
