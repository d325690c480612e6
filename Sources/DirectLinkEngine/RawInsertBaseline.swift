import DirectLinkLedger
import Foundation
import GRDB
internal import GRDBSQLite

/// The benchmark's yardstick: plain SQLite inserts through the C API (one prepared statement,
/// bind/step/reset), on the same kind of database as the engine (WAL, synchronous=FULL, the
/// same checkpoint interval),
/// committing the same number of rows per transaction as the engine writes per group commit.
public enum RawInsertBaseline {
    /// Inserts `rows` rows, committing every `rowsPerCommit`; returns the elapsed seconds.
    public static func run(path: String, rows: Int, rowsPerCommit: Int) throws -> Double {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
        }
        let pool = try DurablePool.open(path: path, configuration: config)
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

    /// Inserts exactly the rows the engine writes for `transfers` intra-bank transfers — one
    /// payment, two events, two postings each, built before the clock starts — into a fresh
    /// database with the engine's own schema and indexes, committing every `transfersPerCommit`.
    /// No checks, no balances, no limits: SQLite's cost of the same rows. Returns elapsed seconds.
    public static func runEngineRows(path: String, transfers: Int, transfersPerCommit: Int) throws -> Double {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
        }
        let pool = try DurablePool.open(path: path, configuration: config)
        try EngineSchema.migrator.migrate(pool)
        let date = SyntheticWorkload.businessDay
        let now = ShanghaiTime.startOfDay(date) + 36_000
        let records: [PaymentRecord] = (0..<transfers).map { n in
            let order = SyntheticWorkload.transfer(n)
            var record = PaymentRecord(
                corporation: order.corporation, serial: order.serial, kind: .single, transactionType: order.transactionType,
                operatorId: order.operatorId, accessChannel: order.accessChannel, debitAccount: order.debitAccount,
                creditAccount: order.creditAccount, payeeName: order.payeeName, payeeBank: "999999000001", amount: order.amount,
                requestedChannel: nil, urgent: false, valueDate: nil, memo: order.memo, contentDigest: nil,
                orderDigest: order.orderDigest, acceptedDate: date, now: now)
            record.status = .settled
            record.channel = .internal
            record.limitKeys = ["BENCH-CORP-DAILY@2026-11-25", "BENCH-CORP-MONTHLY@2026-11", "BENCH-CORP-YEARLY@2026",
                                "BENCH-OPERATOR-COUNT@2026-11-25", "BENCH-TYPE-DAILY@2026-11-25"]
            return record
        }
        let dateText = date.description
        return try pool.writeWithoutTransaction { db in
            let payment = try HotStatement(PaymentRecord.insertSQL, db)
            let event = try HotStatement("INSERT INTO payment_events (payment_id, from_status, to_status, at, detail, id) VALUES (?,?,?,?,?,?)", db)
            let posting = try HotStatement("""
                INSERT INTO postings (payment_id, account, amount_minor, currency, business_date, at, counterparty, memo, id)
                VALUES (?,?,?,?,?,?,?,?,?)
                """, db)
            var sequence: Int64 = 1
            let start = DispatchTime.now().uptimeNanoseconds
            var index = 0
            while index < records.count {
                try db.execute(sql: "BEGIN IMMEDIATE")
                let end = min(records.count, index + transfersPerCommit)
                while index < end {
                    let record = records[index]
                    record.bindInsert(payment)
                    let id = try payment.execute()
                    for (from, to, detail) in [("RECEIVED", "APPROVED", "no approval rule applies"), ("APPROVED", "SETTLED", "settled internally")] {
                        event.bind(1, id); event.bind(2, from); event.bind(3, to); event.bind(4, now); event.bind(5, detail)
                        event.bind(6, sequence)
                        sequence += 1
                        try event.execute()
                    }
                    for (account, amount, counterparty) in [(record.debitAccount, -record.amount.minorUnits, record.creditAccount),
                                                           (record.creditAccount, record.amount.minorUnits, record.debitAccount)] {
                        posting.bind(1, id); posting.bind(2, account); posting.bind(3, amount); posting.bind(4, "CNY")
                        posting.bind(5, dateText); posting.bind(6, now); posting.bind(7, counterparty); posting.bind(8, record.memo)
                        posting.bind(9, sequence)
                        sequence += 1
                        try posting.execute()
                    }
                    index += 1
                }
                try db.execute(sql: "COMMIT")
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
