import Foundation
import GRDB

/// The exact response bytes the bank sent for each non-query `(corporation, serial)`, so that a resent serial with
/// the same content gets the original response back byte for byte, across restarts.
public struct StoredResponse: Sendable, Hashable {
    public var corporation: String
    public var serial: String
    public var transactionCode: String
    /// SHA-256 (hex) of what identifies the request's content (TxCode, OperatorId and the canonical Body).
    public var contentDigest: String
    /// The canonical Body of the original request, to name the first differing field of a conflicting resend.
    public var requestBody: [UInt8]
    public var response: [UInt8]

    public init(corporation: String, serial: String, transactionCode: String, contentDigest: String, requestBody: [UInt8], response: [UInt8]) {
        self.corporation = corporation
        self.serial = serial
        self.transactionCode = transactionCode
        self.contentDigest = contentDigest
        self.requestBody = requestBody
        self.response = response
    }
}

extension TransactionEngine {
    static let responseJournalTable = """
        CREATE TABLE IF NOT EXISTS response_journal (
            corporation TEXT NOT NULL,
            serial TEXT NOT NULL,
            tx_code TEXT NOT NULL,
            content_digest TEXT NOT NULL,
            request_body BLOB NOT NULL,
            response BLOB NOT NULL,
            PRIMARY KEY (corporation, serial)
        ) WITHOUT ROWID
        """

    /// The response stored for a serial, if any.
    public func storedResponse(corporation: String, serial: String) async throws -> StoredResponse? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM response_journal WHERE corporation = ? AND serial = ?", arguments: [corporation, serial])
                .map(Self.storedResponse(from:))
        }
    }

    /// Stores `response` unless one is already stored for the serial; returns the one that is stored (the first
    /// writer wins, so two concurrent identical requests answer with the same bytes). Durable on return: the write
    /// shares the engine's group commit, so many responses cost one fsync.
    public func storeResponse(_ response: StoredResponse) async throws -> StoredResponse {
        try await writer.perform { _, db in try Self.store(response, db) }
    }

    private static func store(_ response: StoredResponse, _ db: Database) throws -> StoredResponse {
        // Cached statements: this runs once per payment on the one writer thread.
        let insert = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO response_journal (corporation, serial, tx_code, content_digest, request_body, response)
            VALUES (?, ?, ?, ?, ?, ?)
            """)
        try insert.execute(arguments: [response.corporation, response.serial, response.transactionCode, response.contentDigest,
                                       Data(response.requestBody), Data(response.response)])
        // Inserted: it is the stored one. Ignored: another response holds the serial; read that one back.
        if db.changesCount == 1 { return response }
        let select = try db.cachedStatement(sql: "SELECT * FROM response_journal WHERE corporation = ? AND serial = ?")
        guard let row = try Row.fetchOne(select, arguments: [response.corporation, response.serial]) else {
            return response
        }
        return storedResponse(from: row)
    }

    static func storedResponse(from row: Row) -> StoredResponse {
        StoredResponse(
            corporation: row["corporation"], serial: row["serial"], transactionCode: row["tx_code"],
            contentDigest: row["content_digest"], requestBody: [UInt8](row["request_body"] as Data),
            response: [UInt8](row["response"] as Data)
        )
    }
}
