import Foundation

/// Counts requests in flight across all connections, for draining and for the metrics.
public final class InFlightTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var highest = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    func started() {
        lock.withLock {
            count += 1
            highest = max(highest, count)
        }
    }

    func finished() {
        let ready: [CheckedContinuation<Void, Never>] = lock.withLock {
            count -= 1
            guard count == 0 else { return [] }
            defer { waiters.removeAll() }
            return waiters
        }
        ready.forEach { $0.resume() }
    }

    public var current: Int { lock.withLock { count } }

    /// The most requests in flight at once since start (or since `resetPeak()`).
    public var peak: Int { lock.withLock { highest } }

    public func resetPeak() { lock.withLock { highest = count } }

    /// Returns when nothing is in flight.
    public func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = lock.withLock {
                if count == 0 { return true }
                waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
