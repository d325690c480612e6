import Synchronization

/// A clock that moves only when told: for tests, the crash-test loader and the benchmark.
public final class ManualClock: EngineClock {
    private let seconds: Mutex<Int64>

    public init(epochSeconds: Int64) {
        seconds = Mutex(epochSeconds)
    }

    /// A Shanghai wall-clock time on a business date.
    public convenience init(_ date: BusinessDate, hour: Int, minute: Int = 0) {
        self.init(epochSeconds: ShanghaiTime.startOfDay(date) + Int64(hour * 3600 + minute * 60))
    }

    public func nowEpochSeconds() -> Int64 { seconds.withLock { $0 } }

    public func advance(seconds delta: Int64) {
        seconds.withLock { $0 += delta }
    }

    public func set(epochSeconds: Int64) {
        seconds.withLock { $0 = epochSeconds }
    }
}
