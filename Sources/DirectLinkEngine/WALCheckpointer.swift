import Foundation
import GRDB

/// Checkpoints the WAL from its own connection, off the writer, and keeps the WAL file from growing without bound.
///
/// With SQLite's automatic checkpoints, the commit that crosses the threshold copies the whole WAL into the database
/// and fsyncs it while every caller in that group waits: tens of milliseconds, the daemon's p99. Here the writer has
/// `wal_autocheckpoint = 0` and this thread runs `PRAGMA wal_checkpoint(PASSIVE)` every `interval` — it never
/// blocks the writer or readers, and copies the latest version of each page in the WAL into the database.
///
/// Under constant load that is not enough: the writer appends while the checkpoint copies, the WAL is never entirely
/// copied, SQLite never rewinds it, and every commit extends the file (measured before this: 1.1 GB after 50,000
/// payments, the kernel zeroing and allocating each new block). So once the WAL holds more than `walBytesMax`, this
/// thread asks the writer to checkpoint once itself between two groups (`GroupCommitWriter.requestWALRewind`): only the
/// frames written since the last pass are left to copy, and the next group starts the WAL from its beginning,
/// overwriting blocks already on disk. A reader that began before that checkpoint can keep SQLite from rewinding (it
/// then appends), so the bound is best effort: `walBytesMax` plus what the writer appends between passes in which a
/// rewind succeeds. The writer's `journal_size_limit` cuts the file back to four times `walBytesMax` after a burst.
final class WALCheckpointer: @unchecked Sendable {
    private let queue: DatabaseQueue
    private let walBytesMax: Int
    private let interval: TimeInterval
    private let requestRewind: @Sendable () -> Void
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false
    // Touched only by the checkpoint thread, read under `condition`.
    private var lastFrames = 0
    private var rewinds = 0

    init(path: String, walBytesMax: Int, interval: TimeInterval = 0.2,
         requestRewind: @escaping @Sendable () -> Void) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        self.walBytesMax = walBytesMax
        self.interval = interval
        self.requestRewind = requestRewind
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
            checkpoint()
            if stop {
                condition.withLock { finished = true; condition.broadcast() }
                return
            }
        }
    }

    /// Times the WAL was seen to start again from its beginning (fewer frames than at the previous pass).
    var rewindCount: Int {
        condition.withLock { rewinds }
    }

    private func checkpoint() {
        // A checkpoint already running (the writer's) throws SQLITE_BUSY, a full disk an I/O error: either leaves
        // the WAL as it is, and the next pass tries again.
        guard let (frames, pageSize) = try? queue.writeWithoutTransaction({ db -> (Int, Int) in
            (try db.checkpoint(.passive).walFrameCount, try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096)
        }) else { return }
        condition.withLock {
            if frames < lastFrames { rewinds += 1 }
            lastFrames = frames
        }
        if frames * (pageSize + 24) > walBytesMax { requestRewind() }
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
