/// A currency, by ISO 4217 alphabetic code. Every currency the engine handles has two minor
/// digits (fen, cents); a currency with another exponent would need its own parser.
public struct Currency: Hashable, Sendable, Codable, CustomStringConvertible {
    public let code: String

    public init?(_ code: String) {
        guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
            return nil
        }
        self.code = code
    }

    public static let cny = Currency(uncheckedCode: "CNY")
    public static let usd = Currency(uncheckedCode: "USD")

    private init(uncheckedCode: String) { code = uncheckedCode }

    public var description: String { code }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Currency(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a currency code: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}

/// An amount of money in integer minor units (fen) with its currency. Never floating point.
///
/// Arithmetic is overflow-checked: `adding`/`subtracting` return nil on overflow or currency
/// mismatch, so callers decide whether that is an input error (throw) or a bug (precondition).
public struct Money: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency = .cny) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func zero(_ currency: Currency = .cny) -> Money { Money(minorUnits: 0, currency: currency) }

    public func adding(_ other: Money) -> Money? {
        guard other.currency == currency else { return nil }
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        return overflow ? nil : Money(minorUnits: sum, currency: currency)
    }

    public func subtracting(_ other: Money) -> Money? {
        guard other.currency == currency else { return nil }
        let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        return overflow ? nil : Money(minorUnits: difference, currency: currency)
    }

    public static func < (lhs: Money, rhs: Money) -> Bool {
        precondition(lhs.currency == rhs.currency, "comparing money of different currencies is a bug")
        return lhs.minorUnits < rhs.minorUnits
    }

    /// Decimal text with exactly two fraction digits, e.g. `-1234.50`.
    public var decimalText: String { Money.format(minorUnits: minorUnits) }

    public var description: String { "\(decimalText) \(currency.code)" }

    public static func format(minorUnits: Int64) -> String {
        let negative = minorUnits < 0
        let magnitude = minorUnits.magnitude
        let whole = magnitude / 100
        let fraction = magnitude % 100
        let fractionText = fraction < 10 ? "0\(fraction)" : "\(fraction)"
        return (negative ? "-" : "") + "\(whole).\(fractionText)"
    }
}

/// Strict parsing of amounts at the edge: ASCII digits, optionally a dot and one or two
/// fraction digits; positive; at most `integerDigitsMax` integer digits; no sign, no
/// exponent, no grouping, no whitespace.
public enum AmountParser {
    /// 13 integer digits: 9,999,999,999,999.99 fits Int64 minor units with room to add.
    public static let integerDigitsMax = 13

    public static func parse(_ text: String, currency: Currency = .cny) throws(EngineError) -> Money {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= integerDigitsMax + 3 else {
            throw EngineError(.amountInvalid, "amount must be 1 to \(integerDigitsMax) digits with at most 2 decimals")
        }
        var integerPart: Int64 = 0
        var integerDigits = 0
        var fractionDigits = 0
        var fractionPart: Int64 = 0
        var seenDot = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard !seenDot, integerDigits > 0 else {
                    throw EngineError(.amountInvalid, "amount has a misplaced decimal point")
                }
                seenDot = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw EngineError(.amountInvalid, "amount may contain only digits and one decimal point")
            }
            let digit = Int64(byte - UInt8(ascii: "0"))
            if seenDot {
                fractionDigits += 1
                guard fractionDigits <= 2 else { throw EngineError(.amountInvalid, "amount has more than 2 decimals") }
                fractionPart = fractionPart * 10 + digit
            } else {
                integerDigits += 1
                guard integerDigits <= integerDigitsMax else {
                    throw EngineError(.amountInvalid, "amount has more than \(integerDigitsMax) integer digits")
                }
                integerPart = integerPart * 10 + digit
            }
        }
        guard !seenDot || fractionDigits > 0 else { throw EngineError(.amountInvalid, "amount ends with a decimal point") }
        if fractionDigits == 1 { fractionPart *= 10 }
        // Cannot overflow: at most 13 integer digits, so integerPart * 100 + 99 < 10^15.
        let minor = integerPart * 100 + fractionPart
        guard minor > 0 else { throw EngineError(.amountInvalid, "amount must be positive") }
        return Money(minorUnits: minor, currency: currency)
    }
}
