import Foundation

/// Strict base64: white space (line breaks from xmlsec1 and PEM) is ignored, anything else must be base64.
public enum Base64 {
    public static func decode(_ text: String) -> [UInt8]? {
        decode(Array(text.utf8))
    }

    public static func decode(_ bytes: [UInt8]) -> [UInt8]? {
        // XML white space only (space, tab, CR, LF); every other byte must belong to the base64 alphabet.
        let compact = bytes.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        guard let data = Data(base64Encoded: Data(compact)) else { return nil }
        return [UInt8](data)
    }

    public static func encode(_ bytes: [UInt8], lineLength: Int? = nil) -> String {
        let data = Data(bytes)
        if let lineLength, lineLength == 64 {
            return data.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        }
        return data.base64EncodedString()
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hex.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
