internal import COpenSSL

/// Conversion between the wire form of ECDSA/SM2 signatures (raw r‖s, 32 bytes each) and the
/// DER `SEQUENCE { r INTEGER, s INTEGER }` that OpenSSL's EVP interface produces and consumes.
enum RawSignature {
    static let halfBytes = 32

    /// raw r‖s → DER. Throws signatureFormat unless exactly 64 bytes.
    ///
    /// Encoded directly (this runs for every verified message): each half becomes a minimal DER INTEGER — leading
    /// zero bytes dropped, one 0x00 put back when the top bit is set so the value stays positive — inside a SEQUENCE.
    /// With 32-byte halves every length fits in one byte. Tests compare it with OpenSSL's i2d_ECDSA_SIG.
    static func derFromRaw(_ raw: [UInt8]) throws -> [UInt8] {
        guard raw.count == 2 * halfBytes else {
            throw CryptoError(.signatureFormat, "expected \(2 * halfBytes)-byte raw r‖s signature, got \(raw.count) bytes")
        }
        func integer(_ half: ArraySlice<UInt8>) -> [UInt8] {
            var value = half.drop { $0 == 0 }
            if value.isEmpty { value = [0][...] }
            let padded = value.first.map { $0 & 0x80 != 0 } ?? false
            return [0x02, UInt8(value.count + (padded ? 1 : 0))] + (padded ? [0x00] : []) + value
        }
        let body = integer(raw[0..<halfBytes]) + integer(raw[halfBytes...])
        return [0x30, UInt8(body.count)] + body
    }

    /// raw r‖s → DER through OpenSSL's own encoder (the reference `derFromRaw` is tested against).
    static func derFromRawWithOpenSSL(_ raw: [UInt8]) throws -> [UInt8] {
        guard raw.count == 2 * halfBytes else {
            throw CryptoError(.signatureFormat, "expected \(2 * halfBytes)-byte raw r‖s signature, got \(raw.count) bytes")
        }
        guard let signature = ECDSA_SIG_new() else { throw CryptoError.openSSL(.internalError, "ECDSA_SIG_new failed") }
        defer { ECDSA_SIG_free(signature) }
        let r = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32(halfBytes), nil) }
        let s = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress.map { $0 + halfBytes }, Int32(halfBytes), nil) }
        guard let r, let s else {
            BN_free(r)
            BN_free(s)
            throw CryptoError.openSSL(.internalError, "BN_bin2bn failed")
        }
        // ECDSA_SIG_set0 takes ownership of r and s on success only.
        guard ECDSA_SIG_set0(signature, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            throw CryptoError.openSSL(.internalError, "ECDSA_SIG_set0 failed")
        }
        return try encodeDER { i2d_ECDSA_SIG(signature, $0) }
    }

    /// DER → raw r‖s, each half left-padded to 32 bytes.
    static func rawFromDER(_ der: [UInt8]) throws -> [UInt8] {
        guard let signature = decodeDER(der, { d2i_ECDSA_SIG(nil, $0, $1) }, free: { ECDSA_SIG_free($0) }) else {
            throw CryptoError.openSSL(.signatureFormat, "not a DER ECDSA signature")
        }
        defer { ECDSA_SIG_free(signature) }
        var r: OpaquePointer?
        var s: OpaquePointer?
        ECDSA_SIG_get0(signature, &r, &s)
        var raw = [UInt8](repeating: 0, count: 2 * halfBytes)
        let ok = raw.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress, let r, let s else { return false }
            return BN_bn2binpad(r, base, Int32(halfBytes)) == halfBytes
                && BN_bn2binpad(s, base + halfBytes, Int32(halfBytes)) == halfBytes
        }
        guard ok else { throw CryptoError.openSSL(.signatureFormat, "ECDSA signature component longer than \(halfBytes) bytes") }
        return raw
    }
}
