import Foundation

/// Counts open connections in total and per corporation, so that admission is one atomic decision.
final class ConnectionRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    private var perCorp: [String: Int] = [:]
    private var nextId: UInt64 = 0
    let limits: ServerLimits

    init(limits: ServerLimits) {
        self.limits = limits
    }

    /// Admits a new TCP connection, or nil when `connectionsMax` is reached.
    func openConnection() -> UInt64? {
        lock.withLock {
            guard total < limits.connectionsMax else { return nil }
            total += 1
            nextId += 1
            return nextId
        }
    }

    func closeConnection(corpId: String?) {
        lock.withLock {
            total -= 1
            if let corpId, let count = perCorp[corpId] {
                perCorp[corpId] = count > 1 ? count - 1 : nil
            }
        }
    }

    /// Binds an admitted connection to a corporation, or false when that corporation is at its limit.
    func bind(corpId: String) -> Bool {
        lock.withLock {
            let count = perCorp[corpId, default: 0]
            guard count < limits.connectionsPerCorpMax else { return false }
            perCorp[corpId] = count + 1
            return true
        }
    }

    var openCount: Int { lock.withLock { total } }
}
