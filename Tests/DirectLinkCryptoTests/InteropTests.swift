import Foundation
import Testing
@testable import DirectLinkCrypto

/// Cross-checks against the openssl CLI: our raw r‖s converted to DER must verify there, and its signatures here.
struct InteropTests {
    static let message: [UInt8] = Array("SM2 interop: 华东精密机械有限公司 pays 100.00 CNY".utf8)
    static let sm2ID = "distid:1234567812345678"

    @Test(arguments: ["corpa-maker-sm2", "bank-signing-sm2"])
    func sm2SignatureVerifiesWithOpenSSLCLI(name: String) throws {
        let raw = try PKI.key(name).sign(Self.message, algorithm: .sm2SM3)
        try withTemporaryDirectory { directory in
            let data = directory.appendingPathComponent("data")
            let signature = directory.appendingPathComponent("sig.der")
            let publicKey = directory.appendingPathComponent("pub.pem")
            try data.write(Self.message)
            try signature.write(RawSignature.derFromRaw(raw))
            #expect(try OpenSSLCLI.run(["x509", "-in", PKI.path("\(name).pem"), "-pubkey", "-noout", "-out", publicKey.path]).status == 0)
            let result = try OpenSSLCLI.run(["dgst", "-sm3", "-verify", publicKey.path, "-sigopt", Self.sm2ID, "-signature", signature.path, data.path])
            #expect(result.status == 0 && result.output.contains("Verified OK"), "\(result.output)")
            // A different signer ID must not verify: proves the ID is really part of the signature.
            let wrongID = try OpenSSLCLI.run(["dgst", "-sm3", "-verify", publicKey.path, "-sigopt", "distid:0000000000000000", "-signature", signature.path, data.path])
            #expect(wrongID.status != 0)
        }
    }

    @Test(arguments: ["corpa-maker-sm2", "bank-signing-sm2"])
    func sm2SignatureFromOpenSSLCLIVerifiesHere(name: String) throws {
        try withTemporaryDirectory { directory in
            let data = directory.appendingPathComponent("data")
            let signature = directory.appendingPathComponent("sig.der")
            try data.write(Self.message)
            let result = try OpenSSLCLI.run(["dgst", "-sm3", "-sign", PKI.path("\(name).key"), "-sigopt", Self.sm2ID, "-out", signature.path, data.path])
            #expect(result.status == 0, "\(result.output)")
            let raw = try RawSignature.rawFromDER(signature.readBytes())
            let certificate = try PKI.certificate(name)
            try certificate.verify(signature: raw, over: Self.message, algorithm: .sm2SM3)
            #expect(cryptoErrorCode { try certificate.verify(signature: raw, over: Self.message + [0], algorithm: .sm2SM3) } == .signatureInvalid)
        }
    }

    @Test func ecdsaSignatureFromOpenSSLCLIVerifiesHereAfterRawConversion() throws {
        try withTemporaryDirectory { directory in
            let data = directory.appendingPathComponent("data")
            let signature = directory.appendingPathComponent("sig.der")
            try data.write(Self.message)
            #expect(try OpenSSLCLI.run(["dgst", "-sha256", "-sign", PKI.path("corpa-maker-ec.key"), "-out", signature.path, data.path]).status == 0)
            let raw = try RawSignature.rawFromDER(signature.readBytes())
            #expect(raw.count == 64)
            try PKI.certificate("corpa-maker-ec").verify(signature: raw, over: Self.message, algorithm: .ecdsaP256SHA256)
        }
    }

    @Test func rsaSignatureVerifiesWithOpenSSLCLI() throws {
        let signature = try PKI.key("corpa-maker-rsa").sign(Self.message, algorithm: .rsaPKCS1v15(.sha256))
        try withTemporaryDirectory { directory in
            let data = directory.appendingPathComponent("data")
            let signatureFile = directory.appendingPathComponent("sig")
            let publicKey = directory.appendingPathComponent("pub.pem")
            try data.write(Self.message)
            try signatureFile.write(signature)
            #expect(try OpenSSLCLI.run(["x509", "-in", PKI.path("corpa-maker-rsa.pem"), "-pubkey", "-noout", "-out", publicKey.path]).status == 0)
            let result = try OpenSSLCLI.run(["dgst", "-sha256", "-verify", publicKey.path, "-signature", signatureFile.path, data.path])
            #expect(result.output.contains("Verified OK"), "\(result.output)")
        }
    }

    @Test(arguments: DigestAlgorithm.allCases)
    func digestMatchesOpenSSLCLI(algorithm: DigestAlgorithm) throws {
        let input = Array("abc".utf8) + [UInt8](repeating: 0x5a, count: 1000)
        let ours = try Digest.compute(algorithm, input)
        #expect(ours.count == algorithm.outputBytes)
        try withTemporaryDirectory { directory in
            let data = directory.appendingPathComponent("data")
            try data.write(input)
            let result = try OpenSSLCLI.run(["dgst", "-\(algorithm.rawValue)", "-r", data.path])
            #expect(result.output.hasPrefix(hexString(ours)), "\(result.output)")
        }
    }

    @Test func digestKnownAnswers() throws {
        #expect(hexString(try Digest.compute(.sha256, Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hexString(try Digest.compute(.sm3, Array("abc".utf8))) == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    }
}
