import Foundation
import GRDB

/// Opens a `DatabasePool` whose writer commits with `synchronous = FULL`: every COMMIT fdatasyncs the WAL before it
/// returns, so a commit that was acknowledged survives a power cut, not only a crash of the process.
///
/// Setting the pragma in `prepareDatabase` is not enough: GRDB's `DatabasePool` switches the writer to WAL *after*
/// `prepareDatabase` and sets `synchronous = NORMAL` there ("many applications choose NORMAL in WAL mode"). NORMAL
/// syncs only at checkpoints, so commits since the last checkpoint live in the page cache. The writer is set back
/// to FULL here, once the pool is open, and read back.
enum DurablePool {
    static func open(path: String, configuration: Configuration) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            let level = try Int.fetchOne(db, sql: "PRAGMA synchronous")
            guard level == fullLevel else {
                throw DatabaseError(message: "the writer connection reports synchronous = \(level.map(String.init) ?? "nothing"), not FULL")
            }
        }
        return pool
    }

    /// `PRAGMA synchronous` reads 2 for FULL.
    static let fullLevel = 2

    /// The writer connection's journal mode and synchronous level, as SQLite reports them.
    static func settings(_ pool: DatabasePool) throws -> StorageSettings {
        try pool.writeWithoutTransaction { db in
            StorageSettings(journalMode: try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                            synchronous: try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
        }
    }
}

/// What the engine's writer connection reports about durability (logged at start-up, checked by the tests).
public struct StorageSettings: Sendable, Equatable {
    /// `wal`.
    public var journalMode: String
    /// SQLite's number: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. The engine requires 2.
    public var synchronous: Int

    public var isDurable: Bool { journalMode == "wal" && synchronous >= DurablePool.fullLevel }
}
