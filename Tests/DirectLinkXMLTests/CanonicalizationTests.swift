import Testing
@testable import DirectLinkXML

struct CanonicalizationTests {
    @Test func exclusiveCanonicalFormDropsCommentsAndNormalises() throws {
        let doc = try XMLDocument.parse("<?xml version='1.0'?><a xmlns='urn:x' b='1'   c=\"2\"><v>1000<!---->.00</v><e/></a>".bytes)
        let c14n = String(decoding: try doc.exclusiveCanonicalization(), as: UTF8.self)
        #expect(c14n == "<a xmlns=\"urn:x\" b=\"1\" c=\"2\"><v>1000.00</v><e></e></a>")
    }

    @Test func excludingASubtreeLeavesTheRestByteForByte() throws {
        let doc = try XMLDocument.parse("<m xmlns='urn:x'><h>1</h><s:S xmlns:s='urn:s'><s:I>x</s:I></s:S></m>".bytes)
        let signature = try #require(doc.root.children.last)
        let rest = String(decoding: try doc.exclusiveCanonicalization(excluding: signature), as: UTF8.self)
        #expect(rest == "<m xmlns=\"urn:x\"><h>1</h></m>")
        let inner = try #require(signature.children.first)
        let subtree = String(decoding: try doc.exclusiveCanonicalization(of: inner), as: UTF8.self)
        // Exclusive c14n renders the namespace the subtree visibly uses, and not the unused default one.
        #expect(subtree == "<s:I xmlns:s=\"urn:s\">x</s:I>")
    }
}
