import Foundation
import GRDB
internal import GRDBSQLite

/// The benchmark's yardstick: plain SQLite inserts through the C API (one prepared statement,
/// bind/step/reset), on the same kind of database as the engine (WAL, synchronous=FULL),
/// committing the same number of rows per transaction as the engine writes per group commit.
public enum RawInsertBaseline {
    /// Inserts `rows` rows, committing every `rowsPerCommit`; returns the elapsed seconds.
    public static func run(path: String, rows: Int, rowsPerCommit: Int) throws -> Double {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let pool = try DatabasePool(path: path, configuration: config)
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS raw_rows (id INTEGER PRIMARY KEY, ref INTEGER NOT NULL, account TEXT NOT NULL,
                    amount_minor INTEGER NOT NULL, note TEXT NOT NULL)
                """)
        }
        return try pool.writeWithoutTransaction { db in
            guard let connection = db.sqliteConnection else { throw BaselineError("no SQLite connection") }
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(connection, "INSERT INTO raw_rows (ref, account, amount_minor, note) VALUES (?, ?, ?, ?)", -1, &statement, nil) == SQLITE_OK,
                  let statement else { throw BaselineError(String(cString: sqlite3_errmsg(connection))) }
            defer { sqlite3_finalize(statement) }
            let account = "6229000900000001"
            let note = "bench payee"
            let start = DispatchTime.now().uptimeNanoseconds
            var inserted = 0
            while inserted < rows {
                try check(sqlite3_exec(connection, "BEGIN IMMEDIATE", nil, nil, nil), connection)
                let end = min(rows, inserted + rowsPerCommit)
                while inserted < end {
                    sqlite3_bind_int64(statement, 1, Int64(inserted))
                    _ = account.withCString { sqlite3_bind_text(statement, 2, $0, -1, SQLITE_TRANSIENT_SWIFT) }
                    sqlite3_bind_int64(statement, 3, Int64(100 + inserted % 900))
                    _ = note.withCString { sqlite3_bind_text(statement, 4, $0, -1, SQLITE_TRANSIENT_SWIFT) }
                    guard sqlite3_step(statement) == SQLITE_DONE else { throw BaselineError(String(cString: sqlite3_errmsg(connection))) }
                    sqlite3_reset(statement)
                    inserted += 1
                }
                try check(sqlite3_exec(connection, "COMMIT", nil, nil, nil), connection)
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }

    private static func check(_ code: Int32, _ connection: OpaquePointer) throws {
        guard code == SQLITE_OK else { throw BaselineError(String(cString: sqlite3_errmsg(connection))) }
    }

    private static let SQLITE_TRANSIENT_SWIFT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

struct BaselineError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
