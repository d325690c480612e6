import Foundation
import Testing
@testable import DirectLinkCrypto

/// `Certificate.verify` must stay close to OpenSSL's own verify rate (the benchmark wants ≥ 70% in release).
/// Here, in whatever build configuration tests run, a loose floor of 50% catches re-parsing per call.
struct VerifySpeedTests {
    @Test func ecdsaVerifyKeepsPaceWithRawOpenSSL() throws {
        let certificate = try PKI.certificate("corpa-maker-ec")
        let key = try PKI.key("corpa-maker-ec")
        let message = Array("DirectLink raw bench 32-byte msg".utf8)
        let signature = try key.sign(message, algorithm: .ecdsaP256SHA256)
        // Interleaved rounds, best of each, so load from tests running in parallel hits both sides alike.
        var raw = 0.0
        var ours = 0.0
        for _ in 0..<3 {
            raw = max(raw, try RawCryptoBench.verifyRate(certificate: certificate, key: key, algorithm: .ecdsaP256SHA256, seconds: 0.1))
            ours = max(ours, try RawCryptoBench.rate(seconds: 0.1) {
                try certificate.verify(signature: signature, over: message, algorithm: .ecdsaP256SHA256)
            })
        }
        print("ECDSA P-256 verify: raw OpenSSL \(Int(raw))/s, Certificate.verify \(Int(ours))/s, ratio \(ours / raw)")
        #expect(ours / raw > 0.5)
    }

    @Test func cachedValidationIsFast() throws {
        let trust = try PKI.trustStore()
        let leaf = try PKI.certificate("corpa-maker-ec").der
        let now = Date()
        _ = try trust.validate(leafDER: leaf, intermediatesDER: [], at: now)
        let cached = try RawCryptoBench.rate(seconds: 0.2) { _ = try trust.validate(leafDER: leaf, intermediatesDER: [], at: now) }
        print("cached validate: \(Int(cached))/s")
        #expect(cached > 20_000)
    }
}
