import Foundation
import Testing
@testable import DirectLinkMessage

struct Base64DecoderTests {
    @Test func decodesWhatFoundationEncodesForEveryLength() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...130 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Data(bytes).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            #expect(Base64.decode(encoded) == bytes, "length \(length)")
            #expect(Base64.decode(Base64.encode(bytes)) == bytes, "length \(length)")
        }
    }

    @Test func ignoresXMLWhiteSpaceAnywhere() {
        #expect(Base64.decode(" QU\tJD\r\nRA = =\n") == Array("ABCD".utf8))
    }

    @Test(arguments: ["A", "AB", "ABC", "AB=", "A===", "AB=C", "AB==CD==", "QUJD*A==", "QUJD-_==", "AB==", "ABC=", "QUJDRA=", "QUJDRA==="])
    func rejectsMalformedOrNonCanonicalInput(_ text: String) {
        // "AB==" and "ABC=" leave non-zero bits in the last group: one byte string, one encoding.
        #expect(Base64.decode(text) == nil)
    }

    /// The decoder takes four alphabet bytes at a time when it can and one byte at a time otherwise; damaged inputs
    /// (white space, `=` and foreign bytes spliced in anywhere) must get the same answer as a plain one-byte-at-a-time
    /// reading of the rules.
    /// A seeded generator, so that a failing round can be replayed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state ^ (state >> 29)
        }
    }

    @Test func fastPathAgreesWithTheRulesOnDamagedInput() {
        var generator = Generator(state: 20261125)
        let splices: [UInt8] = Array(" \t\r\n=*-A/".utf8) + [0x00, 0x80, 0xFF]
        for round in 0..<3000 {
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var text = Array(Data(bytes).base64EncodedString().utf8)
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                text.insert(splices.randomElement(using: &generator)!, at: Int.random(in: 0...text.count, using: &generator))
            }
            #expect(Base64.decode(text) == Self.referenceDecode(text), "round \(round): \(String(decoding: text, as: UTF8.self))")
        }
    }

    /// The decoding rules, one byte at a time and nothing else.
    static func referenceDecode(_ text: [UInt8]) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var values: [UInt32] = []
        var padding = 0
        for byte in text where ![0x20, 0x09, 0x0A, 0x0D].contains(byte) {
            if byte == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0, let value = alphabet.firstIndex(of: byte) else { return nil }
            values.append(UInt32(value))
        }
        let tail = values.count % 4
        guard padding <= 2, (tail == 0 && padding == 0) || tail + padding == 4, tail != 1 else { return nil }
        var out: [UInt8] = []
        var index = 0
        while index + 4 <= values.count {
            let group = values[index] << 18 | values[index + 1] << 12 | values[index + 2] << 6 | values[index + 3]
            out += [UInt8(group >> 16 & 0xFF), UInt8(group >> 8 & 0xFF), UInt8(group & 0xFF)]
            index += 4
        }
        if tail == 2 {
            guard values[index + 1] & 0x0F == 0 else { return nil }
            out.append(UInt8((values[index] << 2 | values[index + 1] >> 4) & 0xFF))
        } else if tail == 3 {
            guard values[index + 2] & 0x03 == 0 else { return nil }
            let group = values[index] << 12 | values[index + 1] << 6 | values[index + 2]
            out += [UInt8(group >> 10 & 0xFF), UInt8(group >> 2 & 0xFF)]
        }
        return out
    }
}
