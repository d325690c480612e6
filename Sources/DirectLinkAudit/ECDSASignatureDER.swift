/// Converts P-256 ECDSA signatures between raw r‖s (what `PrivateKey.sign` returns) and DER
/// `SEQUENCE { INTEGER r, INTEGER s }` (what `openssl dgst -verify` reads). Strict: minimal encodings only.
enum ECDSASignatureDER {
    static let halfBytes = 32

    static func encode(raw: [UInt8]) throws -> [UInt8] {
        guard raw.count == 2 * halfBytes else { throw AuditError(.checkpointMalformed, "raw ECDSA signature must be 64 bytes") }
        let r = integer(Array(raw[0..<halfBytes]))
        let s = integer(Array(raw[halfBytes...]))
        return [0x30, UInt8(r.count + s.count)] + r + s
    }

    static func decode(der: [UInt8]) throws -> [UInt8] {
        let bad = AuditError(.checkpointMalformed, "signature is not a DER ECDSA P-256 signature")
        guard der.count >= 8, der[0] == 0x30, Int(der[1]) == der.count - 2 else { throw bad }
        var offset = 2
        var raw: [UInt8] = []
        for _ in 0..<2 {
            guard offset + 2 <= der.count, der[offset] == 0x02 else { throw bad }
            let length = Int(der[offset + 1])
            guard length >= 1, length <= halfBytes + 1, offset + 2 + length <= der.count else { throw bad }
            var value = Array(der[offset + 2..<offset + 2 + length])
            guard value[0] & 0x80 == 0 else { throw bad }  // negative
            if value.count > 1, value[0] == 0, value[1] & 0x80 == 0 { throw bad }  // not minimal
            if value.count == halfBytes + 1 {
                guard value[0] == 0 else { throw bad }
                value.removeFirst()
            }
            raw += [UInt8](repeating: 0, count: halfBytes - value.count) + value
            offset += 2 + length
        }
        guard offset == der.count else { throw bad }
        return raw
    }

    private static func integer(_ half: [UInt8]) -> [UInt8] {
        var value = Array(half.drop { $0 == 0 })
        if value.isEmpty { value = [0] }
        if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
        return [0x02, UInt8(value.count)] + value
    }
}
