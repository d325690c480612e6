import Foundation

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
        // One one-shot digest; with a leaf alone (the common case) nothing is copied.
        guard !intermediatesDER.isEmpty else { return try Digest.compute(.sha256, leafDER) }
        return try Digest.compute(.sha256, leafDER + intermediatesDER.joined())
    }
}
