import DirectLinkLedger
import Foundation
import GRDB

/// Queries read committed state from WAL readers: they never wait for the writer and never
/// see a result before its transaction committed.
extension TransactionEngine {
    /// Balances of several accounts of one corporation at once, in the order asked.
    public func balances(corporation: String, accounts: [String]) async throws -> [AccountBalance] {
        guard accounts.count <= configuration.bounds.detailsPageEntriesMax else {
            throw EngineError(.requestInvalid, "at most \(configuration.bounds.detailsPageEntriesMax) accounts per query")
        }
        return try await read { db in
            try accounts.map { number in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE number = ? AND corporation = ?",
                                                 arguments: [number, corporation]),
                      let currency = Currency(row["currency"] as String), let status = AccountStatus(rawValue: row["status"]) else {
                    throw EngineError(.accountUnknown, "\(number) is not an account of \(corporation)")
                }
                let balance: Int64 = row["balance_minor"]
                let holds: Int64 = row["holds_minor"]
                return AccountBalance(account: number, currency: currency, balanceMinor: balance, availableMinor: balance - holds,
                                      holdsMinor: holds, overdraftMinor: row["overdraft_minor"], status: status, parentAccount: row["parent"])
            }
        }
    }

    /// Postings of one account between two business dates (inclusive), oldest first, one page
    /// at a time. The continuation names the last entry returned (its date and sequence), so
    /// pages stay stable while new postings arrive: they only ever append after it.
    public func transactionDetails(corporation: String, account: String, from: BusinessDate, to: BusinessDate,
                                   pageSize: Int, continuation: String? = nil) async throws -> DetailsPage {
        let size = min(max(pageSize, 1), configuration.bounds.detailsPageEntriesMax)
        var after = ("", Int64(0))
        if let continuation {
            guard let decoded = Self.decodeContinuation(continuation) else {
                throw EngineError(.requestInvalid, "the continuation token is not one this engine issued", field: "continuation")
            }
            after = decoded
        }
        let (afterDate, afterId) = after
        return try await read { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE number = ? AND corporation = ?",
                                    arguments: [account, corporation]) == true else {
                throw EngineError(.accountUnknown, "\(account) is not an account of \(corporation)")
            }
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, payment_id, amount_minor, currency, business_date, at, counterparty, memo FROM postings
                WHERE account = ? AND business_date >= ? AND business_date <= ? AND (business_date, id) > (?, ?)
                ORDER BY business_date, id LIMIT ?
                """, arguments: [account, from.description, to.description, afterDate, afterId, size + 1])
            let more = rows.count > size
            let page = rows.prefix(size)
            let entries = page.map { row in
                DetailEntry(bankReference: (row["payment_id"] as Int64?).map(PaymentRecord.bankReference),
                            amountMinor: row["amount_minor"], currency: Currency(row["currency"] as String) ?? .cny,
                            businessDate: BusinessDate(row["business_date"] as String) ?? from, atEpochSeconds: row["at"],
                            counterparty: row["counterparty"], memo: row["memo"])
            }
            let token = page.last.map { Self.encodeContinuation(date: $0["business_date"], id: $0["id"]) }
            return DetailsPage(entries: entries, more: more, continuation: more ? token : nil)
        }
    }

    /// The whole truth about one payment: status, whether final, channel, events, approvals, items.
    public func paymentStatus(corporation: String, reference: PaymentReference) async throws -> PaymentView {
        try await read { db in
            let row: Row?
            switch reference {
            case .serial(let serial):
                row = try Row.fetchOne(db, sql: "SELECT * FROM payments WHERE corporation = ? AND serial = ?", arguments: [corporation, serial])
            case .bankReference(let text):
                row = try PaymentRecord.id(fromBankReference: text).flatMap {
                    try Row.fetchOne(db, sql: "SELECT * FROM payments WHERE id = ? AND corporation = ?", arguments: [$0, corporation])
                }
            }
            guard let row else { throw EngineError(.paymentUnknown, "no such payment of \(corporation)") }
            let record = try PaymentRecord(row: row)
            let events = try Row.fetchAll(db, sql: "SELECT * FROM payment_events WHERE payment_id = ? ORDER BY id", arguments: [record.id]).map {
                PaymentEvent(from: ($0["from_status"] as String?).flatMap(PaymentStatus.init(rawValue:)),
                             to: PaymentStatus(rawValue: $0["to_status"]) ?? .received, atEpochSeconds: $0["at"], detail: $0["detail"])
            }
            var view = PaymentView(bankReference: record.bankReference, serial: record.serial, corporation: record.corporation,
                                   kind: record.kind.rawValue, status: record.status, iso20022: record.iso20022, isFinal: record.status.isFinal,
                                   channel: record.channel, amount: record.amount, debitAccount: record.debitAccount,
                                   creditAccount: record.creditAccount, orderDigest: record.orderDigest, error: record.error, events: events, approval: record.approval,
                                   batchStatus: nil, items: [])
            if record.kind == .batch {
                let items = try Row.fetchAll(db, sql: "SELECT * FROM payments WHERE batch_id = ? ORDER BY item_number",
                                             arguments: [record.id]).map(PaymentRecord.init(row:))
                view.items = items.map { $0.itemResult() }
                if record.status == .approved {
                    let derived = BatchStatus.derive(from: items.map(\.status))
                    view.batchStatus = derived
                    view.iso20022 = derived.iso20022
                    view.isFinal = derived != .inProgress
                }
            }
            return view
        }
    }

    /// What `operatorId` may approve or reject now: pending flows at a level whose role they
    /// hold, that they did not make and have not acted on.
    public func pendingApprovals(corporation: String, operatorId: String) async throws -> [PendingApproval] {
        guard let profile = configuration.seed.corporations.first(where: { $0.id == corporation })?.operators.first(where: { $0.id == operatorId }) else {
            throw EngineError(.operatorUnknown, "operator \(operatorId) is not registered for \(corporation)")
        }
        let roles = Set(profile.roles)
        let now = clock.nowEpochSeconds()
        return try await read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM payments WHERE (status IN ('PENDING_APPROVAL', 'SCHEDULED', 'RELEASED') OR return_pending = 1)
                AND status = 'PENDING_APPROVAL' AND corporation = ? AND kind <> 'ITEM' ORDER BY id
                """, arguments: [corporation])
            return try rows.compactMap { row in
                let record = try PaymentRecord(row: row)
                // A flow past its expiry time is no longer actionable, even before housekeeping expires it.
                guard let flow = record.approval, flow.eligibility(of: operatorId, roles: roles) == nil,
                      (record.expiresAt ?? .max) > now else { return nil }
                return PendingApproval(bankReference: record.bankReference, serial: record.serial ?? "", maker: record.operatorId,
                                       amount: record.amount, debitAccount: record.debitAccount, creditAccount: record.creditAccount,
                                       orderDigest: record.orderDigest, ruleId: flow.ruleId, level: flow.currentLevel + 1,
                                       requiredAtLevel: flow.levels[flow.currentLevel].required,
                                       approvedAtLevel: flow.approvalsAtCurrentLevel, expiresAtEpochSeconds: record.expiresAt ?? 0)
            }
        }
    }

    /// Ledger-wide checks for tests and operators: per currency all postings sum to zero, every
    /// account's balance equals the sum of its postings, and none is below its overdraft line.
    public func verifyInvariants() async throws -> [String] {
        try await read { db in
            var problems: [String] = []
            for row in try Row.fetchAll(db, sql: "SELECT currency, SUM(amount_minor) AS total FROM postings GROUP BY currency") {
                let total: Int64 = row["total"]
                if total != 0 { problems.append("postings in \(row["currency"] as String) sum to \(total), not 0") }
            }
            var posted: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT account, SUM(amount_minor) AS total FROM postings GROUP BY account") {
                posted[row["account"]] = row["total"]
            }
            var held: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT debit_account, SUM(hold_minor) AS total FROM payments WHERE hold_minor <> 0 GROUP BY debit_account") {
                held[row["debit_account"]] = row["total"]
            }
            for row in try Row.fetchAll(db, sql: "SELECT number, balance_minor, holds_minor, overdraft_minor, kind FROM accounts") {
                let number: String = row["number"]
                let balance: Int64 = row["balance_minor"]
                let holds: Int64 = row["holds_minor"]
                if balance != posted[number, default: 0] { problems.append("\(number): balance \(balance) ≠ postings \(posted[number, default: 0])") }
                if holds != held[number, default: 0] { problems.append("\(number): holds \(holds) ≠ held by payments \(held[number, default: 0])") }
                if row["kind"] as String != AccountKind.bankInternal.rawValue, balance - holds < -(row["overdraft_minor"] as Int64) {
                    problems.append("\(number): below its overdraft line")
                }
            }
            // No half-applied payment: a settled intra-bank payment has exactly its two legs, and
            // every posting belongs to a recorded payment (or is an opening balance).
            let halfApplied = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM payments p
                LEFT JOIN (SELECT payment_id, COUNT(*) AS legs FROM postings WHERE payment_id IS NOT NULL GROUP BY payment_id) q
                    ON q.payment_id = p.id
                WHERE p.status = 'SETTLED' AND p.channel = 'INTERNAL' AND COALESCE(q.legs, 0) <> 2
                """) ?? 0
            if halfApplied > 0 { problems.append("\(halfApplied) settled intra-bank payments without exactly two postings") }
            let orphans = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM postings WHERE payment_id IS NOT NULL AND payment_id NOT IN (SELECT id FROM payments)
                """) ?? 0
            if orphans > 0 { problems.append("\(orphans) postings of no recorded payment") }
            return problems
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.storageFailure, "read failed: \(error)")
        }
    }

    /// Base64url without padding (RFC 4648 §5): the token travels in XML and may only use `[A-Za-z0-9_-]`.
    static func encodeContinuation(date: String, id: Int64) -> String {
        Data("v1|\(date)|\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decodeContinuation(_ token: String) -> (String, Int64)? {
        guard token.utf8.count <= 64, token.utf8.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "=") }) else { return nil }
        var standard = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: standard) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: "|")
        guard parts.count == 3, parts[0] == "v1", BusinessDate(String(parts[1])) != nil, let id = Int64(parts[2]) else { return nil }
        return (String(parts[1]), id)
    }
}
