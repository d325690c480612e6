import DirectLinkLedger
import DirectLinkMessage
import DirectLinkXML

/// Typed reads from a verified transaction element. The schema has already checked shapes; these reads turn
/// text into domain values and name the element when a value is still unacceptable (e.g. a zero amount).
struct RequestReader {
    let element: XMLElement

    func text(_ name: String) -> String? {
        element.child(name, in: Namespace.directLink)?.text
    }

    func required(_ name: String) throws(GatewayRejection) -> String {
        guard let value = text(name), !value.isEmpty else {
            throw GatewayRejection(.requestInvalid, "\(name) is required", path: "\(element.path)/\(name)")
        }
        return value
    }

    func all(_ name: String) -> [String] {
        element.children.filter { $0.isNamed(name, in: Namespace.directLink) }.map(\.text)
    }

    func currency() throws(GatewayRejection) -> Currency {
        guard let code = text("Currency") else { return .cny }
        guard let currency = Currency(code) else {
            throw GatewayRejection(.currencyMismatch, "currency \(code) is not an ISO 4217 code", path: "\(element.path)/Currency")
        }
        return currency
    }

    func money(_ name: String, currency: Currency) throws(GatewayRejection) -> Money {
        let text = try required(name)
        do {
            return try AmountParser.parse(text, currency: currency)
        } catch {
            throw GatewayRejection(.amountInvalid, error.reason, path: "\(element.path)/\(name)")
        }
    }

    func date(_ name: String) throws(GatewayRejection) -> BusinessDate? {
        guard let text = text(name) else { return nil }
        guard let date = BusinessDate(text) else {
            throw GatewayRejection(.valueDateInvalid, "\(name) \(text) is not a date", path: "\(element.path)/\(name)")
        }
        return date
    }

    func channel() throws(GatewayRejection) -> Channel? {
        guard let text = text("RequestedChannel") else { return nil }
        guard let channel = Channel(rawValue: text) else {
            throw GatewayRejection(.channelNotAllowed, "unknown channel \(text)", path: "\(element.path)/RequestedChannel")
        }
        return channel
    }

    /// `OrigSerialNo` or `BankRef`.
    func paymentReference() throws(GatewayRejection) -> PaymentReferenceText {
        if let serial = text("OrigSerialNo") { return .serial(serial) }
        if let bankRef = text("BankRef") { return .bankReference(bankRef) }
        throw GatewayRejection(.requestInvalid, "OrigSerialNo or BankRef is required", path: element.path)
    }

    func child(_ name: String) -> RequestReader? {
        element.child(name, in: Namespace.directLink).map(RequestReader.init)
    }

    func children(_ name: String) -> [RequestReader] {
        element.children.filter { $0.isNamed(name, in: Namespace.directLink) }.map(RequestReader.init)
    }
}

enum PaymentReferenceText {
    case serial(String)
    case bankReference(String)
}
