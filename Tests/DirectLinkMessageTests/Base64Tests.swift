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
}
