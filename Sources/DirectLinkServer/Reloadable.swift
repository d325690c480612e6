import Foundation

/// A value replaced atomically at run time (trust store and verifier on SIGHUP); readers get a consistent snapshot.
public final class Reloadable<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public var current: Value { lock.withLock { value } }

    public func replace(with newValue: Value) {
        lock.withLock { value = newValue }
    }
}
