import Testing
@testable import DirectLinkCrypto

@Test func cryptoModuleLoads() { #expect(DigestAlgorithm.allCases.count == 4) }
