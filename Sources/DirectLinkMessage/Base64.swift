import Foundation

/// Strict base64: white space (line breaks from xmlsec1 and PEM) is ignored, anything else must be base64.
public enum Base64 {
    public static func decode(_ text: String) -> [UInt8]? {
        decode(Array(text.utf8))
    }

    /// The standard alphabet (RFC 4648 §4) with `=` padding; XML white space (space, tab, CR, LF) anywhere is
    /// ignored, every other byte must belong to the alphabet, padding only at the end, and the unused bits of the
    /// last group must be zero (so one byte string has one encoding).
    public static func decode(_ bytes: [UInt8]) -> [UInt8]? {
        bytes.withUnsafeBufferPointer { decode($0) }
    }

    /// As `decode(_: [UInt8])`, from bytes the caller holds (such as a text node read in place).
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        decodeTable.withUnsafeBufferPointer { table in decode(bytes, table: table) }
    }

    private static let whiteSpace: UInt8 = 0xFE
    private static let invalid: UInt8 = 0xFF

    /// One table lookup per byte: 0–63 for the alphabet, `whiteSpace`, `invalid` (also `=`, which the slow path
    /// handles). Four alphabet bytes in a row at a group boundary, the usual case, are decoded together.
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, table: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var valid = true
        let decoded = [UInt8](unsafeUninitializedCapacity: bytes.count / 4 * 3 + 3) { out, written in
            var group: UInt32 = 0
            var filled = 0
            var padding = 0
            var count = 0
            var index = 0
            defer { written = count }
            while index < bytes.count {
                if filled == 0, padding == 0, index + 4 <= bytes.count {
                    let a = table[Int(bytes[index])], b = table[Int(bytes[index + 1])]
                    let c = table[Int(bytes[index + 2])], d = table[Int(bytes[index + 3])]
                    if (a | b | c | d) < 64 {
                        let quad = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                        out[count] = UInt8(truncatingIfNeeded: quad >> 16)
                        out[count + 1] = UInt8(truncatingIfNeeded: quad >> 8)
                        out[count + 2] = UInt8(truncatingIfNeeded: quad)
                        count += 3
                        index += 4
                        continue
                    }
                }
                let byte = bytes[index]
                index += 1
                let value = table[Int(byte)]
                if value == whiteSpace { continue }
                if byte == UInt8(ascii: "=") {
                    padding += 1
                    guard padding <= 2, filled + padding <= 4, filled >= 2 else { valid = false; return }
                    continue
                }
                guard value < 64, padding == 0 else { valid = false; return }
                group = group << 6 | UInt32(value)
                filled += 1
                if filled == 4 {
                    out[count] = UInt8(truncatingIfNeeded: group >> 16)
                    out[count + 1] = UInt8(truncatingIfNeeded: group >> 8)
                    out[count + 2] = UInt8(truncatingIfNeeded: group)
                    count += 3
                    group = 0
                    filled = 0
                }
            }
            switch (filled, padding) {
            case (0, 0):
                break
            case (2, 2) where group & 0x0F == 0:
                out[count] = UInt8(truncatingIfNeeded: group >> 4)
                count += 1
            case (3, 1) where group & 0x03 == 0:
                out[count] = UInt8(truncatingIfNeeded: group >> 10)
                out[count + 1] = UInt8(truncatingIfNeeded: group >> 2)
                count += 2
            default:
                valid = false
            }
        }
        return valid ? decoded : nil
    }

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        for byte in [0x20, 0x09, 0x0A, 0x0D] { table[byte] = whiteSpace }
        return table
    }()

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
