import DirectLinkLedger
import Foundation
import GRDB

/// The one writer. Commands queue here; a dedicated thread (never a NIO event loop, never the
/// cooperative pool) takes everything queued — up to `groupCommitCommandsMax` — runs it in one
/// SQLite transaction and commits (WAL, synchronous=FULL). Each caller is resumed only after the
/// COMMIT that made its result durable. If the transaction fails, nothing of it was applied: the
/// writer's caches are reloaded from the database and each command of the group is retried in a
/// transaction of its own, so one command that cannot be written fails alone, with
/// `storageFailure` (safe to resend with the same serial).
final class GroupCommitWriter: @unchecked Sendable {
    /// One queued command. `run` executes inside the group transaction and returns the closure
    /// that hands its result to the caller once the transaction commits.
    struct Job {
        let run: (LedgerWriter, Database) throws -> () -> Void
        let fail: (any Error) -> Void
    }

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [Job] = []
    private var closed = false
    private var finished = false
    private var committedTransactions = 0
    private var committedCommands = 0
    private var rewindRequested = false

    private let pool: DatabasePool
    private let state: LedgerWriter  // Touched only by the writer thread.
    private let commandsMax: Int

    init(pool: DatabasePool, state: LedgerWriter, commandsMax: Int) {
        self.pool = pool
        self.state = state
        self.commandsMax = commandsMax
        let thread = Thread { [self] in loop() }
        thread.name = "directlink-engine-writer"
        thread.start()
    }

    /// Runs `work` in the next group transaction and returns its value after COMMIT.
    /// `work` may throw an `EngineError` only before it writes anything; any other error aborts the group.
    func perform<T: Sendable>(_ work: @escaping (LedgerWriter, Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue([Self.job(work, continuation)])
        }
    }

    /// Runs several commands in order, queued together so they share group transactions (a
    /// list longer than `groupCommitCommandsMax` spans several). The works must not throw
    /// domain errors (they return them as results). If any transaction fails the caller gets
    /// `storageFailure`; commands of earlier, committed transactions stay applied and a resend
    /// with the same serials reports them.
    func performAll<T: Sendable>(_ works: [(LedgerWriter, Database) throws -> T]) async throws -> [T] {
        if works.isEmpty { return [] }
        let collector = ResultCollector<T>(count: works.count)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[T], any Error>) in
            var jobs: [Job] = []
            jobs.reserveCapacity(works.count)
            for (index, work) in works.enumerated() {
                jobs.append(Job(run: { state, db in
                    let value = try work(state, db)
                    return { if let all = collector.set(index, value) { continuation.resume(returning: all) } }
                }, fail: { error in if collector.fail() { continuation.resume(throwing: error) } }))
            }
            enqueue(jobs)
        }
    }

    private static func job<T: Sendable>(_ work: @escaping (LedgerWriter, Database) throws -> T,
                                         _ continuation: CheckedContinuation<T, any Error>) -> Job {
        Job(run: { state, db in
            do {
                let value = try work(state, db)
                return { continuation.resume(returning: value) }
            } catch let refusal as EngineError {
                return { continuation.resume(throwing: refusal) }
            }
        }, fail: { error in continuation.resume(throwing: error) })
    }

    private func enqueue(_ jobs: [Job]) {
        condition.lock()
        if closed {
            condition.unlock()
            for job in jobs { job.fail(EngineError(.storageFailure, "the engine is closed")) }
            return
        }
        queue.append(contentsOf: jobs)
        condition.signal()
        condition.unlock()
    }

    /// Asks the writer to checkpoint the WAL itself between two groups (see `WALCheckpointer`).
    func requestWALRewind() {
        condition.withLock { rewindRequested = true }
    }

    /// Stops taking commands, finishes those queued, and waits for the writer thread to end.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty && closed {
                condition.unlock()
                // Finalize the writer's prepared statements on the connection's own queue, before it closes.
                pool.writeWithoutTransaction { _ in state.discardCaches() }
                condition.lock()
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let group: [Job]
            if queue.count <= commandsMax {
                group = queue
                queue = []
            } else {
                group = Array(queue.prefix(commandsMax))
                queue.removeFirst(commandsMax)
            }
            let rewind = rewindRequested
            rewindRequested = false
            condition.unlock()
            commit(group)
            if rewind { checkpointForRewind() }
        }
    }

    /// A PASSIVE checkpoint on the writer's own connection, between groups. The background checkpointer has already
    /// copied most of the WAL; with no write in progress this one copies what was appended since (and syncs the WAL
    /// and the database, `synchronous=FULL`), and when no reader still needs the old frames SQLite starts the next
    /// transaction at the beginning of the WAL file instead of appending. A reader that began before this checkpoint
    /// can prevent that; the checkpointer asks again on its next pass. It runs once per `walBytesMax` of WAL at most,
    /// and the group after it waits for it. Failures (a checkpoint already running) leave the WAL to the next request.
    private func checkpointForRewind() {
        _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.passive) }
    }

    private func commit(_ group: [Job]) {
        var outcomes: [() -> Void] = []
        outcomes.reserveCapacity(group.count)
        commit(group, into: &outcomes)
        for outcome in outcomes { outcome() }
    }

    /// Runs `group` in one transaction and appends what each caller is to hear. Callers hear nothing until the whole
    /// group — including every isolated retry — has been written, so a batch told of one failed command finds the
    /// others of its group already committed.
    private func commit(_ group: [Job], into outcomes: inout [() -> Void]) {
        var deliveries: [() -> Void] = []
        deliveries.reserveCapacity(group.count)
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    for job in group {
                        try state.begin(db)
                        deliveries.append(try job.run(state, db))
                    }
                    try state.flush(db)
                    return .commit
                }
            }
        } catch {
            state.discardCaches()
            // Isolation finds one command that cannot be written; a lock held elsewhere (after the busy timeout)
            // concerns them all, and retrying each alone would wait out the timeout once per command.
            let locked = (error as? DatabaseError).map { $0.resultCode == .SQLITE_BUSY || $0.resultCode == .SQLITE_LOCKED } ?? false
            if group.count > 1, !locked {
                // Isolate: one command that cannot be written must not fail the others with it.
                for job in group { commit([job], into: &outcomes) }
                return
            }
            let failure = EngineError(.storageFailure, "the transaction did not commit; nothing of it was applied: \(error)")
            for job in group { outcomes.append { job.fail(failure) } }
            return
        }
        condition.lock()
        committedTransactions += 1
        committedCommands += group.count
        condition.unlock()
        outcomes += deliveries
    }

    /// How many transactions have committed and how many commands they carried.
    var statistics: (transactions: Int, commands: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (committedTransactions, committedCommands)
    }
}

/// Collects the results of a multi-command submission; resumes its caller once.
private final class ResultCollector<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [T?]
    private var remaining: Int
    private var failed = false

    init(count: Int) {
        values = Array(repeating: nil, count: count)
        remaining = count
    }

    /// Returns all values when the last one arrives.
    func set(_ index: Int, _ value: T) -> [T]? {
        lock.lock()
        defer { lock.unlock() }
        values[index] = value
        remaining -= 1
        guard remaining == 0, !failed else { return nil }
        return values.compactMap { $0 }
    }

    /// True for the first failure only.
    func fail() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if failed { return false }
        failed = true
        return true
    }
}
