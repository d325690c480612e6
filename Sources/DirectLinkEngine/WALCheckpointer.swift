import Foundation
import GRDB

/// Checkpoints the WAL from its own connection, off the writer.
///
/// With SQLite's automatic checkpoints, the commit that crosses the threshold copies the whole WAL into the database
/// and fsyncs it while every caller in that group waits: tens of milliseconds, the daemon's p99. Here the writer has
/// `wal_autocheckpoint = 0` and this thread runs `PRAGMA wal_checkpoint(PASSIVE)` — which never blocks the writer or
/// readers — whenever the WAL has grown past `walBytesMax`, checking every `interval`.
final class WALCheckpointer: @unchecked Sendable {
    private let queue: DatabaseQueue
    private let walPath: String
    private let walBytesMax: Int
    private let interval: TimeInterval
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false

    init(path: String, walBytesMax: Int = 16 << 20, interval: TimeInterval = 0.2) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        walPath = path + "-wal"
        self.walBytesMax = walBytesMax
        self.interval = interval
        let thread = Thread { [self] in run() }
        thread.name = "directlink-engine-checkpoint"
        thread.start()
    }

    private func run() {
        while true {
            condition.lock()
            if !stopping { _ = condition.wait(until: Date() + interval) }
            let stop = stopping
            condition.unlock()
            checkpointIfLarge(force: stop)
            if stop {
                condition.withLock { finished = true; condition.broadcast() }
                return
            }
        }
    }

    private func checkpointIfLarge(force: Bool) {
        let size = (try? FileManager.default.attributesOfItem(atPath: walPath)[.size] as? Int) ?? 0
        guard force || size > walBytesMax else { return }
        // PASSIVE copies what it can without waiting for anyone; a busy database simply leaves the rest for next time.
        try? queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
    }

    /// One last checkpoint, then the thread ends.
    func close() {
        condition.lock()
        if finished { condition.unlock(); return }
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
