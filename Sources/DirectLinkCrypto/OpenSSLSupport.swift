internal import COpenSSL

/// Helpers shared by the wrappers: error-queue draining, memory BIOs, DER coding.
/// Nothing here is public; C types never leave this module.
enum OpenSSLErrorQueue {
    /// Pops every pending error on this thread's queue and renders them joined by "; ".
    /// Called on every failure path so a later operation never reports a stale error.
    static func drain() -> String {
        var parts: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            ERR_error_string_n(code, &buffer, buffer.count)
            parts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return parts.joined(separator: "; ")
    }

    /// Discards anything left over (for example by a PEM reader reaching the end of its input).
    static func clear() { ERR_clear_error() }
}

extension CryptoError {
    /// A CryptoError whose reason is `what` followed by the drained OpenSSL error queue.
    static func openSSL(_ code: Code, _ what: String) -> CryptoError {
        let queue = OpenSSLErrorQueue.drain()
        return CryptoError(code, queue.isEmpty ? what : "\(what) (\(queue))")
    }
}

/// Runs `body` with a read-only memory BIO over `bytes`. The BIO does not copy: it lives only inside `body`.
func withReadOnlyBIO<T>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> T) throws -> T {
    guard bytes.count < Int(Int32.max) else { throw CryptoError(.internalError, "input larger than 2 GiB") }
    return try bytes.withUnsafeBytes { raw in
        guard let bio = BIO_new_mem_buf(raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count)) else {
            throw CryptoError.openSSL(.internalError, "BIO_new_mem_buf failed")
        }
        defer { BIO_free(bio) }
        return try body(bio)
    }
}

/// Runs `body` with a fresh writable memory BIO and returns what was written to it.
func collectingBIO(_ body: (OpaquePointer) throws -> Void) throws -> [UInt8] {
    guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.openSSL(.internalError, "BIO_new failed") }
    defer { BIO_free(bio) }
    try body(bio)
    return bytes(of: bio)
}

/// The bytes currently held by a memory BIO.
func bytes(of bio: OpaquePointer) -> [UInt8] {
    var pointer: UnsafeMutablePointer<CChar>?
    let length = CDirectLink_BIO_get_mem_data(bio, &pointer)
    guard length > 0, let pointer else { return [] }
    return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
}

/// DER-decodes with an OpenSSL `d2i_*` function, insisting that every byte is consumed.
/// On trailing bytes the decoded object is released with `free` and nil is returned.
func decodeDER(
    _ der: [UInt8],
    _ d2i: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> OpaquePointer?,
    free: (OpaquePointer) -> Void
) -> OpaquePointer? {
    der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return nil }
        var cursor: UnsafePointer<UInt8>? = base
        guard let object = d2i(&cursor, buffer.count) else { return nil }
        guard let end = cursor, end == base + buffer.count else {
            free(object)
            return nil
        }
        return object
    }
}

/// DER-encodes with an OpenSSL `i2d_*` function (two calls: length, then bytes).
func encodeDER(_ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws -> [UInt8] {
    let length = i2d(nil)
    guard length > 0 else { throw CryptoError.openSSL(.internalError, "DER encoding failed") }
    var out = [UInt8](repeating: 0, count: Int(length))
    let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var cursor = buffer.baseAddress
        return i2d(&cursor)
    }
    guard written == length else { throw CryptoError.openSSL(.internalError, "DER encoding changed length") }
    return out
}

/// Lowercase hex.
func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// A string OpenSSL allocated (BN_bn2hex, ASN1_STRING_to_UTF8 …), copied and freed.
func takeOpenSSLString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
    guard let pointer else { return nil }
    defer { CDirectLink_OPENSSL_free(pointer) }
    return String(cString: pointer)
}
