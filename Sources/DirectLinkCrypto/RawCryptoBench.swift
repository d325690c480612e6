import Foundation
internal import COpenSSL

/// Baseline figures for the benchmark: OpenSSL's own one-shot EVP sign/verify rate on one thread, with the
/// signature already in OpenSSL's native (DER) form — no raw r‖s conversion, no policy checks, no parsing.
/// The benchmark prints `Certificate.verify` / `PrivateKey.sign` rates beside these.
public enum RawCryptoBench {
    static let message: [UInt8] = Array("DirectLink raw bench 32-byte msg".utf8)

    /// Verifications per second of a valid signature over a 32-byte message.
    public static func verifyRate(certificate: Certificate, key: PrivateKey, algorithm: SignatureAlgorithm, seconds: Double) throws -> Double {
        try KeyPolicy.check(certificate.keyType, algorithm)
        let signature = try EVPSignature.sign(pkey: key.pkey, algorithm: algorithm, data: message)
        return try rate(seconds: seconds) {
            guard try EVPSignature.verify(pkey: certificate.publicKey, algorithm: algorithm, signature: signature, data: message) else {
                throw CryptoError(.signatureInvalid, "bench key does not match certificate")
            }
        }
    }

    /// Signatures per second over a 32-byte message.
    public static func signRate(key: PrivateKey, algorithm: SignatureAlgorithm, seconds: Double) throws -> Double {
        try KeyPolicy.check(key.keyType, algorithm)
        return try rate(seconds: seconds) { _ = try EVPSignature.sign(pkey: key.pkey, algorithm: algorithm, data: message) }
    }

    /// Runs `operation` repeatedly for about `seconds` (checking the clock every 16 calls) and returns calls/second.
    static func rate(seconds: Double, _ operation: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        let budget = UInt64(max(seconds, 0.001) * 1e9)
        var count = 0
        var elapsed: UInt64 = 0
        repeat {
            for _ in 0..<16 { try operation() }
            count += 16
            elapsed = DispatchTime.now().uptimeNanoseconds - start
        } while elapsed < budget
        return Double(count) / (Double(elapsed) / 1e9)
    }
}
