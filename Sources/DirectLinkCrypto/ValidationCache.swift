import Foundation

/// A cache key: the exact DER of the leaf and of the intermediates, in order. Equality compares every byte; the hash
/// reads only each certificate's length and last 32 bytes (inside its signature, which differs between any two
/// certificates an issuer signs). That keeps a lookup at a few hundred nanoseconds, where a SHA-256 over the chain
/// cost ~0.8 µs per message; only validated chains are ever inserted, so no client chooses colliding entries.
struct ChainKey: Hashable, Sendable {
    let certificates: [[UInt8]]

    init(leafDER: [UInt8], intermediatesDER: [[UInt8]]) {
        certificates = [leafDER] + intermediatesDER
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(certificates.count)
        for der in certificates {
            hasher.combine(der.count)
            der.withUnsafeBytes { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0.suffix(32))) }
        }
    }

    static func == (lhs: ChainKey, rhs: ChainKey) -> Bool {
        guard lhs.certificates.count == rhs.certificates.count else { return false }
        for (left, right) in zip(lhs.certificates, rhs.certificates) {
            guard left.count == right.count else { return false }
            let same = left.withUnsafeBytes { l in
                right.withUnsafeBytes { r in
                    guard let a = l.baseAddress, let b = r.baseAddress else { return l.count == r.count }
                    return memcmp(a, b, l.count) == 0
                }
            }
            guard same else { return false }
        }
        return true
    }
}

final class ValidationCache: @unchecked Sendable {
    static let defaultEntriesMax = 10_000
    let entriesMax: Int
    private let lock = NSLock()
    private var entries: [ChainKey: ValidatedChain] = [:]

    init(entriesMax: Int) {
        precondition(entriesMax > 0, "a cache bound is a constant chosen by code, never by input")
        self.entriesMax = entriesMax
    }

    var count: Int { lock.withLock { entries.count } }

    func lookup(_ key: ChainKey, at time: Date) -> ValidatedChain? {
        lock.withLock {
            guard let chain = entries[key], chain.holds(at: time) else { return nil }
            return chain
        }
    }

    func insert(_ key: ChainKey, _ chain: ValidatedChain) {
        lock.withLock {
            if entries[key] == nil, entries.count >= entriesMax {
                let now = Date()
                entries = entries.filter { $0.value.validUntil > now }
                while entries.count >= entriesMax { entries.remove(at: entries.startIndex) }
            }
            entries[key] = chain
        }
    }

    static func key(leafDER: [UInt8], intermediatesDER: [[UInt8]]) -> ChainKey {
        ChainKey(leafDER: leafDER, intermediatesDER: intermediatesDER)
    }
}
