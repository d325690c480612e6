import Foundation
import Testing
@testable import DirectLinkCrypto

struct SignatureTests {
    static let message: [UInt8] = Array("<Pay><Amount>12345</Amount><Payee>青山村</Payee></Pay>".utf8)

    @Test(arguments: [
        ("corpa-maker-rsa", SignatureAlgorithm.rsaPKCS1v15(.sha256), 256),
        ("corpa-maker-rsa", .rsaPKCS1v15(.sha384), 256),
        ("corpa-maker-rsa", .rsaPKCS1v15(.sha512), 256),
        ("bank-signing", .rsaPKCS1v15(.sha256), 256),
        ("corpa-maker-ec", .ecdsaP256SHA256, 64),
        ("bank-signing-ec", .ecdsaP256SHA256, 64),
        ("corpa-maker-sm2", .sm2SM3, 64),
        ("bank-signing-sm2", .sm2SM3, 64),
    ])
    func signVerifyRoundTripRejectsTampering(name: String, algorithm: SignatureAlgorithm, signatureBytes: Int) throws {
        let key = try PKI.key(name)
        let certificate = try PKI.certificate(name)
        let signature = try key.sign(Self.message, algorithm: algorithm)
        #expect(signature.count == signatureBytes)
        try certificate.verify(signature: signature, over: Self.message, algorithm: algorithm)

        var tamperedData = Self.message
        tamperedData[3] ^= 0x01
        #expect(cryptoErrorCode { try certificate.verify(signature: signature, over: tamperedData, algorithm: algorithm) } == .signatureInvalid)
        var tamperedSignature = signature
        tamperedSignature[signature.count / 2] ^= 0x80
        #expect(cryptoErrorCode { try certificate.verify(signature: tamperedSignature, over: Self.message, algorithm: algorithm) } == .signatureInvalid)
    }

    @Test(arguments: [
        ("root-ca", "RSA-3072"), ("corpa-maker-rsa", "RSA-2048"), ("corpa-maker-ec", "EC-P256"), ("corpa-maker-sm2", "SM2"),
        ("bank-signing-sm2", "SM2"), ("weak-rsa1024", "RSA-1024"), ("p384", "EC-secp384r1"),
    ])
    func keyTypeIsReportedForKeysAndCertificates(name: String, expected: String) throws {
        #expect(try PKI.certificate(name).keyType.description == expected)
        #expect(try PKI.key(name).keyType.description == expected)
    }

    @Test func signatureByAnotherKeyIsInvalid() throws {
        let signature = try PKI.key("corpa-approver1").sign(Self.message, algorithm: .ecdsaP256SHA256)
        let other = try PKI.certificate("corpa-approver2")
        #expect(cryptoErrorCode { try other.verify(signature: signature, over: Self.message, algorithm: .ecdsaP256SHA256) } == .signatureInvalid)
    }

    @Test func derEncodedECDSASignatureIsRejectedAsFormat() throws {
        let raw = try PKI.key("corpa-maker-ec").sign(Self.message, algorithm: .ecdsaP256SHA256)
        let der = try RawSignature.derFromRaw(raw)
        let certificate = try PKI.certificate("corpa-maker-ec")
        #expect(cryptoErrorCode { try certificate.verify(signature: der, over: Self.message, algorithm: .ecdsaP256SHA256) } == .signatureFormat)
        #expect(cryptoErrorCode { try certificate.verify(signature: Array(raw.dropLast()), over: Self.message, algorithm: .ecdsaP256SHA256) } == .signatureFormat)
        #expect(cryptoErrorCode { try certificate.verify(signature: [], over: Self.message, algorithm: .ecdsaP256SHA256) } == .signatureFormat)
    }

    @Test func rsaSignatureOfWrongLengthIsRejectedAsFormat() throws {
        let signature = try PKI.key("corpa-maker-rsa").sign(Self.message, algorithm: .rsaPKCS1v15(.sha256))
        let certificate = try PKI.certificate("corpa-maker-rsa")
        #expect(cryptoErrorCode { try certificate.verify(signature: signature + [0], over: Self.message, algorithm: .rsaPKCS1v15(.sha256)) } == .signatureFormat)
    }

    /// Walks the key-policy codes in the order they are checked.
    @Test(arguments: [
        ("p384", SignatureAlgorithm.ecdsaP256SHA256, CryptoError.Code.unsupportedKey),
        ("weak-rsa1024", .rsaPKCS1v15(.sha256), .weakKey),
        ("corpa-maker-rsa", .rsaPKCS1v15(.sm3), .unsupportedAlgorithm),
        ("corpa-maker-rsa", .ecdsaP256SHA256, .keyAlgorithmMismatch),
        ("corpa-maker-ec", .rsaPKCS1v15(.sha256), .keyAlgorithmMismatch),
        ("corpa-maker-ec", .sm2SM3, .keyAlgorithmMismatch),
        ("corpa-maker-sm2", .ecdsaP256SHA256, .keyAlgorithmMismatch),
    ])
    func keyPolicyRejectsBeforeLookingAtTheSignature(name: String, algorithm: SignatureAlgorithm, code: CryptoError.Code) throws {
        let certificate = try PKI.certificate(name)
        let key = try PKI.key(name)
        #expect(cryptoErrorCode { try certificate.verify(signature: [UInt8](repeating: 1, count: 64), over: Self.message, algorithm: algorithm) } == code)
        #expect(cryptoErrorCode { _ = try key.sign(Self.message, algorithm: algorithm) } == code)
    }

    @Test func realSignaturesFromWeakAndP384KeysAreStillRejected() throws {
        try withTemporaryDirectory { directory in
            let data = directory.appendingPathComponent("data")
            try data.write(Self.message)
            for (name, algorithm, code) in [("weak-rsa1024", SignatureAlgorithm.rsaPKCS1v15(.sha256), CryptoError.Code.weakKey),
                                            ("p384", .ecdsaP256SHA256, .unsupportedKey)] {
                let signatureFile = directory.appendingPathComponent("\(name).sig")
                let result = try OpenSSLCLI.run(["dgst", "-sha256", "-sign", PKI.path("\(name).key"), "-out", signatureFile.path, data.path])
                #expect(result.status == 0, "\(result.output)")
                let signature = try signatureFile.readBytes()
                let certificate = try PKI.certificate(name)
                #expect(cryptoErrorCode { try certificate.verify(signature: signature, over: Self.message, algorithm: algorithm) } == code)
            }
        }
    }

    @Test func malformedKeyPEMIsRejected() {
        #expect(cryptoErrorCode { _ = try PrivateKey(pem: Array("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8)) } == .malformedKey)
        #expect(cryptoErrorCode { _ = try PrivateKey(pem: []) } == .malformedKey)
    }
}

struct RawSignatureEncodingTests {
    /// The direct DER encoder must give OpenSSL's bytes for every shape of r and s.
    @Test func derFromRawMatchesOpenSSL() throws {
        var generator = SystemRandomNumberGenerator()
        var halves: [[UInt8]] = [
            [UInt8](repeating: 0, count: 32), [UInt8](repeating: 0xFF, count: 32),
            [0x80] + [UInt8](repeating: 0, count: 31), [0x00, 0x80] + [UInt8](repeating: 1, count: 30),
            [UInt8](repeating: 0, count: 31) + [0x01], [UInt8](repeating: 0, count: 31) + [0x80], [0x7F] + [UInt8](repeating: 0xFF, count: 31),
        ]
        for _ in 0..<200 {
            var half = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            half[0..<Int.random(in: 0...3, using: &generator)].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            halves.append(half)
        }
        for r in halves {
            let s = halves.randomElement(using: &generator) ?? r
            #expect(try RawSignature.derFromRaw(r + s) == (try RawSignature.derFromRawWithOpenSSL(r + s)))
        }
        #expect(throws: CryptoError.self) { try RawSignature.derFromRaw([UInt8](repeating: 1, count: 63)) }
    }
}
