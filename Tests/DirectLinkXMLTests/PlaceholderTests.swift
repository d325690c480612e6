import Testing
@testable import DirectLinkXML

@Test func DirectLinkXMLBuilds() { #expect(true) }
