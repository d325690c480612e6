import Testing
@testable import DirectLinkCrypto

@Test func DirectLinkCryptoBuilds() { #expect(true) }
