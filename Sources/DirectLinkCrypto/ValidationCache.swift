import Foundation
internal import COpenSSL

/// Successful validations keyed by SHA-256 over (leaf DER ‖ intermediates DER). DER is self-delimiting, so the
/// concatenation is unambiguous. Bounded; when full, expired entries are dropped first, then arbitrary ones.
/// `@unchecked Sendable`: the dictionary is only touched under `lock`.
final class ValidationCache: @unchecked Sendable {
    static let defaultEntriesMax = 10_000
    let entriesMax: Int
    private let lock = NSLock()
    private var entries: [[UInt8]: ValidatedChain] = [:]

    init(entriesMax: Int) {
        precondition(entriesMax > 0, "a cache bound is a constant chosen by code, never by input")
        self.entriesMax = entriesMax
    }

    var count: Int { lock.withLock { entries.count } }

    func lookup(_ key: [UInt8], at time: Date) -> ValidatedChain? {
        lock.withLock {
            guard let chain = entries[key], chain.holds(at: time) else { return nil }
            return chain
        }
    }

    func insert(_ key: [UInt8], _ chain: ValidatedChain) {
        lock.withLock {
            if entries[key] == nil, entries.count >= entriesMax {
                let now = Date()
                entries = entries.filter { $0.value.validUntil > now }
                while entries.count >= entriesMax { entries.remove(at: entries.startIndex) }
            }
            entries[key] = chain
        }
    }

    static func key(leafDER: [UInt8], intermediatesDER: [[UInt8]]) throws -> [UInt8] {
        // The common case, a leaf alone: one one-shot digest.
        if intermediatesDER.isEmpty { return try Digest.compute(.sha256, leafDER) }
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.openSSL(.internalError, "EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex(context, DigestAlgorithm.sha256.fetchedMD, nil) == 1 else { throw CryptoError.openSSL(.internalError, "EVP_DigestInit_ex failed") }
        for der in [leafDER] + intermediatesDER {
            let ok = der.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
            guard ok == 1 else { throw CryptoError.openSSL(.internalError, "EVP_DigestUpdate failed") }
        }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1, length == 32 else {
            throw CryptoError.openSSL(.internalError, "EVP_DigestFinal_ex failed")
        }
        return digest
    }
}
