import DirectLinkLedger
import Foundation
import GRDB

/// Applies the seed to a database: accounts that do not exist yet (opening balances posted
/// from the equity account so the ledger balances) and approval rules of corporations that
/// have none yet. Existing rows are never changed, so reopening is harmless.
struct EngineSeeder {
    let configuration: EngineConfiguration
    let now: Int64

    func apply(_ db: Database) throws {
        let seed = configuration.seed
        for account in seed.bankAccounts {
            try insert(account, corporation: nil, kind: .bankInternal, db)
        }
        for corporation in seed.corporations {
            for account in corporation.accounts {
                try insert(account, corporation: corporation.id, kind: account.parent == nil ? .customer : .virtual, db)
            }
            let json = String(decoding: try JSONEncoder().encode(corporation.approvalRules), as: UTF8.self)
            try db.execute(sql: "INSERT OR IGNORE INTO approval_rules (corporation, rules_json) VALUES (?, ?)",
                           arguments: [corporation.id, json])
        }
    }

    private func insert(_ account: AccountSeed, corporation: String?, kind: AccountKind, _ db: Database) throws {
        let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE number = ?", arguments: [account.number]) ?? false
        if exists { return }
        let currency = account.currency ?? .cny
        let overdraft = try account.overdraft.map { try parseMoney($0, currency: currency).minorUnits } ?? 0
        try db.execute(sql: """
            INSERT INTO accounts (number, corporation, name, currency, kind, status, overdraft_minor, parent, balance_minor, holds_minor)
            VALUES (?,?,?,?,?,?,?,?,0,0)
            """, arguments: [account.number, corporation, account.name, currency.code, kind.rawValue,
                             (account.status ?? .active).rawValue, overdraft, account.parent])
        guard let opening = account.openingBalance else { return }
        let amount = try parseMoney(opening, currency: currency)
        let equity = configuration.seed.equityAccount
        let set = PostingSet.transfer(from: equity, to: account.number, amount: amount)
        let date = BusinessDate(epochSeconds: now).description
        for posting in set.postings {
            try db.execute(sql: "UPDATE accounts SET balance_minor = balance_minor + ? WHERE number = ?",
                           arguments: [posting.amountMinor, posting.account])
            let id = try Int64.fetchOne(db, sql: "UPDATE counters SET next_value = next_value + 1 WHERE name = 'posting' RETURNING next_value - 1")
            try db.execute(sql: """
                INSERT INTO postings (id, payment_id, account, amount_minor, currency, business_date, at, counterparty, memo)
                VALUES (?, NULL,?,?,?,?,?,?, 'opening balance')
                """, arguments: [id, posting.account, posting.amountMinor, posting.currency.code, date, now,
                                 posting.account == equity ? account.number : equity])
        }
    }
}
