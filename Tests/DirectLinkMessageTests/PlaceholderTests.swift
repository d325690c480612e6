import Testing
@testable import DirectLinkMessage

@Test func DirectLinkMessageBuilds() { #expect(true) }
