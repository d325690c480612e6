import Foundation

/// Group commit for many connections: `commit` suspends the caller until its records are durable, while one dedicated
/// thread appends everything that queued up meanwhile with a single write and fdatasync, and signs checkpoints when due.
///
/// The daemon awaits `commit([inbound, outbound])` and only then writes the response to the socket. The thread is
/// never a NIO event loop or a cooperative-pool thread: fdatasync blocks.
///
/// `@unchecked Sendable`: `pending`, `stopping`, `finished` and the counters are only touched while holding `condition`.
public final class AuditCommitQueue: @unchecked Sendable {
    private typealias Waiter = (records: [AuditRecord], ticket: AuditCommitTicket)

    public let log: AuditLog
    private let timerSeconds: Double
    private let gatherSeconds: Double
    private let condition = NSCondition()
    private var pending: [Waiter] = []
    /// Records in `pending`, kept as it changes (the gather loop reads it on every wake-up).
    private var pendingRecords = 0
    private var stopping = false
    private var finished = false
    private var groups = 0
    private var checkpointError: AuditError?

    /// Starts the commit thread. `timerSeconds` bounds how long an idle log waits before `checkpointIfDue`.
    /// `gatherSeconds` is how long the thread lets a group gather after the first waiter arrives: more records per
    /// fdatasync, at that much latency. Each fdatasync also costs kernel CPU that the verifiers would otherwise use.
    public init(log: AuditLog, timerSeconds: Double = 1, gatherSeconds: Double = 0) {
        self.log = log
        self.timerSeconds = timerSeconds
        self.gatherSeconds = gatherSeconds
        let thread = Thread { [self] in run() }
        thread.name = "directlink-audit-commit"
        thread.start()
    }

    /// Returns the records' leaf indexes once they are durable. Throws the append's error (nothing of that group is
    /// acknowledged) or `io` after `close()`.
    public func commit(_ records: [AuditRecord]) async throws -> [UInt64] {
        try await submit(records).indexes()
    }

    /// Queues `records` and returns at once; `indexes()` on the ticket waits until they are durable. The daemon submits
    /// an exchange, waits for the response journal's commit meanwhile, and then usually finds the ticket already
    /// complete: no task of its own and no second suspension per exchange.
    public func submit(_ records: [AuditRecord]) -> AuditCommitTicket {
        let ticket = AuditCommitTicket()
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else {
            ticket.complete(.failure(AuditError(.io, "the audit commit queue is closed")))
            return ticket
        }
        pending.append((records, ticket))
        pendingRecords += records.count
        // Wake the thread only when it is waiting for a first record or a group has filled up. While it gathers
        // or syncs it will find this waiter anyway; waking it for each one cost a futex wake and a context switch
        // per exchange, most of the log's cost in `bench load`.
        if pending.count == 1 || pendingRecords >= log.limits.groupRecordsMax { condition.signal() }
        return ticket
    }

    /// Group commits so far, and the last checkpoint failure (checkpoints are retried at the next commit or tick).
    public var statistics: (groups: Int, checkpointError: AuditError?) {
        condition.lock()
        defer { condition.unlock() }
        return (groups, checkpointError)
    }

    /// Commits what is queued, stops the thread and signs the final checkpoint.
    public func close() throws {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
        try log.close()
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty, !stopping {
                if !condition.wait(until: Date() + timerSeconds) { break }
            }
            if gatherSeconds > 0, !pending.isEmpty, !stopping {
                let until = Date() + gatherSeconds
                while !stopping, pendingRecords < log.limits.groupRecordsMax, condition.wait(until: until) {}
            }
            let group = takeGroup()
            let done = stopping && pending.isEmpty && group.isEmpty
            if done { finished = true; condition.broadcast() }
            condition.unlock()
            if done { return }
            if !group.isEmpty { commit(group) }
            do {
                try log.checkpointIfDue()
            } catch {
                condition.withLock { checkpointError = error as? AuditError ?? AuditError(.io, "\(error)") }
            }
        }
    }

    /// Takes waiters, oldest first, while their records fit in one append. Caller holds `condition`.
    private func takeGroup() -> [Waiter] {
        var count = 0
        var records = 0
        for waiter in pending {
            guard count == 0 || records + waiter.records.count <= log.limits.groupRecordsMax else { break }
            count += 1
            records += waiter.records.count
        }
        let taken = Array(pending.prefix(count))
        pending.removeFirst(count)
        pendingRecords -= records
        return taken
    }

    private func commit(_ group: [Waiter]) {
        do {
            let indexes = try log.append(group.flatMap(\.records))
            var start = 0
            for waiter in group {
                waiter.ticket.complete(.success(Array(indexes[start..<start + waiter.records.count])))
                start += waiter.records.count
            }
            condition.withLock { groups += 1 }
        } catch {
            for waiter in group { waiter.ticket.complete(.failure(error)) }
        }
    }
}

/// The outcome of one `AuditCommitQueue.submit`: the leaf indexes once the records are durable, or the error that
/// kept them from the log. Awaited by one caller, once.
/// `@unchecked Sendable`: `outcome` and `waiter` are only touched while holding `lock`.
public final class AuditCommitTicket: @unchecked Sendable {
    private let lock = NSLock()
    private var outcome: Result<[UInt64], any Error>?
    private var waiter: CheckedContinuation<[UInt64], any Error>?

    init() {}

    /// The records' leaf indexes, once durable; returns without suspending when the commit thread is already done.
    public func indexes() async throws -> [UInt64] {
        if let done = lock.withLock({ outcome }) { return try done.get() }
        return try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if let done = outcome {
                lock.unlock()
                continuation.resume(with: done)
            } else if waiter != nil {
                lock.unlock()
                continuation.resume(throwing: AuditError(.io, "an audit commit ticket is awaited once"))
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }

    func complete(_ result: Result<[UInt64], any Error>) {
        lock.lock()
        guard outcome == nil else { lock.unlock(); return }
        outcome = result
        let waiting = waiter
        waiter = nil
        lock.unlock()
        waiting?.resume(with: result)
    }
}
