import Testing
@testable import DirectLinkXML

struct HardenedParserTests {
    func rejection(_ xml: String, limits: XMLLimits = .default) -> XMLError.Code? {
        do {
            _ = try XMLDocument.parse(xml.bytes, limits: limits)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func parsesPlainDocumentAndReadsText() throws {
        let doc = try XMLDocument.parse("<a xmlns='urn:x'><b>1000<!-- c -->.00</b></a>".bytes)
        #expect(doc.root.name == "a")
        #expect(doc.root.namespaceURI == "urn:x")
        #expect(doc.root.children.first?.text == "1000.00")
    }

    @Test func rejectsDoctypeWithInternalSubset() {
        #expect(rejection("<!DOCTYPE a [<!ELEMENT a ANY>]><a/>") == .doctype)
    }

    @Test func rejectsDoctypeWithExternalEntity() {
        let xxe = "<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><a>&x;</a>"
        #expect(rejection(xxe) == .doctype)
    }

    @Test func rejectsExternalDTDReference() {
        #expect(rejection("<!DOCTYPE a SYSTEM 'http://127.0.0.1:9/evil.dtd'><a/>") == .doctype)
    }

    @Test func rejectsEntityExpansionBomb() {
        var lol = "<!DOCTYPE lolz [<!ENTITY lol 'lol'>"
        for level in 1...9 {
            let previous = level == 1 ? "lol" : "lol\(level - 1)"
            lol += "<!ENTITY lol\(level) '" + String(repeating: "&\(previous);", count: 10) + "'>"
        }
        lol += "]><lolz>&lol9;</lolz>"
        #expect(rejection(lol) == .doctype)
    }

    @Test func undeclaredEntityReferenceIsMalformed() {
        #expect(rejection("<a>&nope;</a>") == .malformed)
    }

    @Test func rejectsNestingDeeperThanTheLimit() {
        let deep = String(repeating: "<a>", count: 30) + String(repeating: "</a>", count: 30)
        #expect(rejection(deep, limits: XMLLimits(depthMax: 24)) == .depthExceeded)
        let ok = String(repeating: "<a>", count: 24) + String(repeating: "</a>", count: 24)
        #expect(rejection(ok, limits: XMLLimits(depthMax: 24)) == nil)
    }

    @Test func rejectsHugeDepthWithoutExhaustingTheStack() {
        let deep = String(repeating: "<a>", count: 100_000)
        #expect(rejection(deep, limits: XMLLimits(documentBytesMax: 1 << 20)) == .depthExceeded)
    }

    @Test func rejectsTooManyAttributes() {
        let attributes = (0..<20).map { "a\($0)='1'" }.joined(separator: " ")
        #expect(rejection("<a \(attributes)/>", limits: XMLLimits(attributesPerElementMax: 16)) == .tooManyAttributes)
    }

    @Test func namespaceDeclarationsCountAsAttributes() {
        let declarations = (0..<17).map { "xmlns:p\($0)='urn:\($0)'" }.joined(separator: " ")
        #expect(rejection("<a \(declarations)/>", limits: XMLLimits(attributesPerElementMax: 16)) == .tooManyAttributes)
    }

    @Test func rejectsTooManyElements() {
        let many = "<a>" + String(repeating: "<b/>", count: 50) + "</a>"
        #expect(rejection(many, limits: XMLLimits(elementsMax: 20)) == .tooManyElements)
    }

    @Test func rejectsLongText() {
        let long = "<a>" + String(repeating: "x", count: 2_000) + "</a>"
        #expect(rejection(long, limits: XMLLimits(textBytesMax: 1_000)) == .textTooLong)
    }

    /// GBK takes 2 bytes where UTF-8 takes 3: a text node can be longer than the limit while the input is not.
    @Test func rejectsLongTextThatGrowsFromGBKToUTF8() throws {
        let utf8 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>" + String(repeating: "中", count: 70) + "</a>"
        let gbk = try XMLDocument.parse(utf8.bytes).serialized(encoding: "GBK")
        let limits = XMLLimits(textBytesMax: 200)
        #expect(gbk.count <= 200, "the GBK input (\(gbk.count) bytes) is within the text limit")
        #expect(throws: XMLError.self) { try XMLDocument.parse(gbk, limits: limits) }
        #expect((try? XMLDocument.parse(gbk, limits: XMLLimits(textBytesMax: 210))) != nil)
    }

    @Test func rejectsOversizeDocumentBeforeParsing() {
        let big = "<a>" + String(repeating: "x", count: 5_000) + "</a>"
        #expect(rejection(big, limits: XMLLimits(documentBytesMax: 4_096, textBytesMax: 4_096)) == .documentTooLarge)
    }

    @Test func rejectsProcessingInstructions() {
        #expect(rejection("<?xml version='1.0'?><?xml-stylesheet href='x.xsl'?><a/>") == .processingInstruction)
    }

    @Test func rejectsUTF16AndUndeclaredEncodings() {
        let utf16: [UInt8] = [0xFF, 0xFE] + Array("<a/>".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        #expect(throws: XMLError.self) { try XMLDocument.parse(utf16) }
        #expect(rejection("<?xml version='1.0' encoding='ISO-2022-JP'?><a/>") == .unsupportedEncoding)
    }

    @Test func utf8IsRecognisedInAnyCaseAndNearMissesAreRefused() throws {
        for name in ["UTF-8", "utf-8", "Utf-8"] {
            #expect(try XMLDocument.parse("<?xml version='1.0' encoding='\(name)'?><a/>".bytes).root.name == "a")
        }
        // Same length, one byte off: the fast check must not take these for UTF-8 (libxml2 would then pick a codec).
        for name in ["UTF\u{0D}8", "UTF-\u{18}", "UTF_8", "UTF-9"] {
            #expect(rejection("<?xml version='1.0' encoding='\(name)'?><a/>") == .unsupportedEncoding)
        }
    }

    @Test func reportsLineOfMalformedInput() {
        do {
            _ = try XMLDocument.parse("<a>\n<b>\n</a>".bytes)
            Issue.record("accepted malformed XML")
        } catch {
            #expect(error.code == .malformed)
            #expect(error.line == 3)
        }
    }

    @Test func parsesGBKDeclaredDocument() throws {
        let bytes = try Repository.bytes("Fixtures/messages/corpa/single-payment-gbk.xml")
        let doc = try XMLDocument.parse(bytes)
        #expect(doc.declaredEncoding?.uppercased() == "GBK")
        let name = doc.root.descendants.first { $0.name == "CreditName" }?.text
        #expect(name == "上海浦江物流有限公司")
        // Serialising keeps the declared encoding: the bytes are GBK again, not UTF-8.
        let again = try doc.serialized()
        #expect(!again.isEmpty)
        #expect(String(decoding: again, as: UTF8.self).contains("上海浦江物流有限公司") == false)
        #expect(try XMLDocument.parse(again).root.descendants.first { $0.name == "CreditName" }?.text == name)
    }

    @Test func limitsRelationshipsAreChecked() {
        #expect(throws: XMLError.self) { try XMLLimits(documentBytesMax: 100, textBytesMax: 1_000).validated() }
        #expect(throws: Never.self) { try XMLLimits.default.validated() }
    }
}
