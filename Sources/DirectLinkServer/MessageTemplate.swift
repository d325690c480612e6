import DirectLinkGateway
import DirectLinkXML
import Foundation

/// Fills the volatile Head fields of a message template before signing.
public enum MessageTemplate {
    public static func fill(_ xml: [UInt8], timestamp: Date?, serial: String?) throws -> [UInt8] {
        var text = try decode(xml)
        if let timestamp {
            text = replaceElement("Timestamp", in: text, with: Timestamps.format(timestamp))
        }
        if let serial {
            text = replaceElement("SerialNo", in: text, with: serial)
        }
        return try encode(text, like: xml)
    }

    /// A SerialNo no other call returns: the time in milliseconds, a random part (other processes) and this process's
    /// own counter (many calls in one millisecond; the random part alone repeated within a few hundred calls).
    public static func freshSerial() -> String {
        let millis = Int(Date().timeIntervalSince1970 * 1000)
        let count = serialLock.withLock { () -> Int in
            serialCounter += 1
            return serialCounter
        }
        return "S\(millis)\(Int.random(in: 100_000...999_999))\(count)"
    }

    private static let serialLock = NSLock()
    nonisolated(unsafe) private static var serialCounter = 0

    /// Replaces the text of the first `<name>…</name>`.
    public static func replaceElement(_ name: String, in text: String, with value: String) -> String {
        guard let open = text.firstRange(of: "<\(name)>"), let close = text[open.upperBound...].firstRange(of: "</\(name)>") else { return text }
        return text.replacingCharacters(in: open.upperBound..<close.lowerBound, with: value)
    }

    /// Templates may be GBK; edit them as text and write them back in their own encoding.
    static func decode(_ xml: [UInt8]) throws -> String {
        let document = try XMLDocument.parse(xml)
        guard let encoding = document.declaredEncoding, encoding.uppercased() != "UTF-8" else {
            return String(decoding: xml, as: UTF8.self)
        }
        return String(decoding: try document.serialized(encoding: "UTF-8"), as: UTF8.self)
            .replacingOccurrences(of: "encoding=\"UTF-8\"", with: "encoding=\"\(encoding)\"")
    }

    static func encode(_ text: String, like original: [UInt8]) throws -> [UInt8] {
        let document = try XMLDocument.parse(original)
        guard let encoding = document.declaredEncoding, encoding.uppercased() != "UTF-8" else { return Array(text.utf8) }
        let utf8 = text.replacingOccurrences(of: "encoding=\"\(encoding)\"", with: "encoding=\"UTF-8\"")
        let reparsed = try XMLDocument.parse(Array(utf8.utf8))
        return try reparsed.serialized(encoding: encoding)
    }
}
