internal import COpenSSL

/// One-shot EVP_DigestSign / EVP_DigestVerify over a held EVP_PKEY. Every context is a temporary freed
/// before return; the key is only read, which OpenSSL allows from many threads at once.
/// Signatures here are in OpenSSL's native form (DER for ECDSA/SM2); callers convert to raw r‖s.
enum EVPSignature {
    /// Creates and initialises a digest context for `algorithm`, runs `body`, frees everything.
    /// SM2 needs its own EVP_PKEY_CTX carrying the signer ID, attached before DigestSign/VerifyInit.
    private static func withContext<T>(
        pkey: OpaquePointer, algorithm: SignatureAlgorithm, signing: Bool,
        _ body: (OpaquePointer) throws -> T
    ) throws -> T {
        guard let md = algorithm.digest.evpMD else { throw CryptoError.openSSL(.unsupportedAlgorithm, "digest unavailable") }
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.openSSL(.internalError, "EVP_MD_CTX_new failed") }
        var keyContext: OpaquePointer?
        // The MD context does not own a keyContext attached with EVP_MD_CTX_set_pkey_ctx: free it after the MD context.
        defer { EVP_PKEY_CTX_free(keyContext) }
        defer { EVP_MD_CTX_free(context) }
        let initialised: Int32
        if case .sm2SM3 = algorithm {
            guard let sm2Context = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else {
                throw CryptoError.openSSL(.internalError, "EVP_PKEY_CTX_new_from_pkey failed")
            }
            keyContext = sm2Context
            let idSet = KeyPolicy.sm2DefaultID.withUnsafeBytes {
                CDirectLink_EVP_PKEY_CTX_set1_id(sm2Context, $0.baseAddress, Int32($0.count))
            }
            guard idSet > 0 else { throw CryptoError.openSSL(.internalError, "setting the SM2 signer ID failed") }
            EVP_MD_CTX_set_pkey_ctx(context, sm2Context)
            initialised = signing
                ? EVP_DigestSignInit(context, nil, md, nil, pkey)
                : EVP_DigestVerifyInit(context, nil, md, nil, pkey)
        } else {
            initialised = signing
                ? EVP_DigestSignInit(context, nil, md, nil, pkey)
                : EVP_DigestVerifyInit(context, nil, md, nil, pkey)
        }
        guard initialised == 1 else {
            throw CryptoError.openSSL(.unsupportedAlgorithm, "cannot \(signing ? "sign" : "verify") with \(algorithm)")
        }
        return try body(context)
    }

    /// Signs `data`; the result is in OpenSSL's native form.
    static func sign(pkey: OpaquePointer, algorithm: SignatureAlgorithm, data: [UInt8]) throws -> [UInt8] {
        try withContext(pkey: pkey, algorithm: algorithm, signing: true) { context in
            try data.withUnsafeBufferPointer { input in
                let base = input.baseAddress ?? UnsafePointer(bitPattern: 1)
                var length = 0
                guard EVP_DigestSign(context, nil, &length, base, input.count) == 1 else {
                    throw CryptoError.openSSL(.internalError, "EVP_DigestSign (size) failed")
                }
                var signature = [UInt8](repeating: 0, count: length)
                let ok = signature.withUnsafeMutableBufferPointer { EVP_DigestSign(context, $0.baseAddress, &length, base, input.count) }
                guard ok == 1 else { throw CryptoError.openSSL(.internalError, "EVP_DigestSign failed") }
                return Array(signature.prefix(length))
            }
        }
    }

    /// Verifies a native-form signature. Returns false for a signature that does not match;
    /// the error queue is drained either way so no stale errors leak into later operations.
    static func verify(pkey: OpaquePointer, algorithm: SignatureAlgorithm, signature: [UInt8], data: [UInt8]) throws -> Bool {
        try withContext(pkey: pkey, algorithm: algorithm, signing: false) { context in
            let result = signature.withUnsafeBufferPointer { sig in
                data.withUnsafeBufferPointer { input in
                    EVP_DigestVerify(context, sig.baseAddress ?? UnsafePointer(bitPattern: 1), sig.count,
                                     input.baseAddress ?? UnsafePointer(bitPattern: 1), input.count)
                }
            }
            if result != 1 { _ = OpenSSLErrorQueue.drain() }
            return result == 1
        }
    }
}
