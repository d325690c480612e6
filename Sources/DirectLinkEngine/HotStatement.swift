import GRDB
internal import GRDBSQLite

/// The writer's hot-path statements (serial probe, payment, event and posting inserts), bound
/// and stepped through SQLite's C API on GRDB's own connection. Profiles showed GRDB's generic
/// argument boxing costing more than SQLite itself for these few statements; everything else
/// goes through GRDB. The C module is imported here only, internally, so no C type leaks.
///
/// One owner: the writer's `LedgerWriter`, which drops these before the connection closes.
final class HotStatement {
    private let handle: OpaquePointer
    private let connection: OpaquePointer
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ sql: String, _ db: Database) throws {
        guard let connection = db.sqliteConnection else { throw StoreCorruption("the writer connection is closed") }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw StoreCorruption("cannot prepare a hot statement: \(String(cString: sqlite3_errmsg(connection)))")
        }
        self.handle = statement
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Bool) {
        sqlite3_bind_int64(handle, index, value ? 1 : 0)
    }

    func bind(_ index: Int32, _ value: String) {
        var text = value
        text.withUTF8 { bytes in
            if let base = bytes.baseAddress, bytes.count > 0 {
                base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    _ = sqlite3_bind_text(handle, index, $0, Int32(bytes.count), Self.transient)
                }
            } else {
                _ = sqlite3_bind_text(handle, index, "", 0, Self.transient)
            }
        }
    }

    func bind(_ index: Int32, _ value: String?) {
        if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// Runs a statement that returns no row; returns the connection's last inserted rowid.
    @discardableResult
    func execute() throws -> Int64 {
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            throw StoreCorruption("hot statement failed (\(code)): \(String(cString: sqlite3_errmsg(connection)))")
        }
        return sqlite3_last_insert_rowid(connection)
    }

    /// Runs a query and returns the first column of its first row, if any.
    func firstInt64() throws -> Int64? {
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        if code == SQLITE_DONE { return nil }
        guard code == SQLITE_ROW else {
            throw StoreCorruption("hot query failed (\(code)): \(String(cString: sqlite3_errmsg(connection)))")
        }
        return sqlite3_column_int64(handle, 0)
    }
}
