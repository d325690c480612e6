import DirectLinkLedger
import Foundation
import GRDB

/// The single writer's state: confined to the writer thread, touched only inside the group
/// transaction. Balances and limit usage are cached in memory and written back once per group
/// commit; if a transaction rolls back, every cache is discarded and reloaded from the database.
final class LedgerWriter {
    struct AccountInfo {
        var corporation: String?
        var parent: String?
        var name: String
    }

    let configuration: EngineConfiguration
    let clock: any EngineClock
    let clearing: any ClearingSystem
    let router: Router
    private(set) var limitBook: LimitBook
    let corporations: [String: CorporationProfile]

    var accounts: [String: AccountState] = [:]
    var accountInfo: [String: AccountInfo] = [:]
    var approvalRules: [String: [ApprovalRule]] = [:]
    /// Limit usage, interned: each bucket key gets a slot once; today's slot of every rule is
    /// found by rule index (`todaySlots`), so the hot path never hashes a key.
    private var usageSlotByKey: [String: Int] = [:]
    private var usageSlots: [(key: String, usage: LimitUsage, dirty: Bool)] = []
    private var dirtySlots: [Int] = []
    private var todaySlots: [Int?] = []
    private var beneficiaries: [String: Set<String>] = [:]
    private var dirtyAccounts: Set<String> = []
    private var cachesValid = false
    /// Prepared once per connection, keyed by the address of the SQL literal (hashing the SQL
    /// text itself on every call showed up in profiles).
    private var statements: [UInt: Statement] = [:]
    private var hot: HotStatements?
    /// Limit usage keys of every rule for `today`, recomputed when the date changes.
    private var limitKeysDate: BusinessDate?
    private(set) var limitKeysToday: [String?] = []
    private(set) var todayText = ""
    /// Next posting and event sequence numbers; written back to `counters` with each group.
    private var nextPostingId: Int64 = 1
    private var nextEventId: Int64 = 1

    struct HotStatements {
        let serialOwner: HotStatement
        let insertPayment: HotStatement
        let insertEvent: HotStatement
        let insertPosting: HotStatement
        let updateAccount: HotStatement
        let upsertUsage: HotStatement
        let updateCounter: HotStatement

        init(_ db: Database) throws {
            serialOwner = try HotStatement("""
                SELECT id FROM payments WHERE corporation = ?1 AND serial = ?2
                UNION ALL SELECT -1 FROM instructions WHERE corporation = ?1 AND serial = ?2
                """, db)
            insertPayment = try HotStatement(PaymentRecord.insertSQL, db)
            insertEvent = try HotStatement("INSERT INTO payment_events (payment_id, from_status, to_status, at, detail, id) VALUES (?,?,?,?,?,?)", db)
            insertPosting = try HotStatement("""
                INSERT INTO postings (payment_id, account, amount_minor, currency, business_date, at, counterparty, memo, id)
                VALUES (?,?,?,?,?,?,?,?,?)
                """, db)
            updateCounter = try HotStatement("UPDATE counters SET next_value = ? WHERE name = ?", db)
            updateAccount = try HotStatement("UPDATE accounts SET balance_minor = ?, holds_minor = ?, status = ? WHERE number = ?", db)
            upsertUsage = try HotStatement("""
                INSERT INTO limit_usage (usage_key, amount_minor, count) VALUES (?,?,?)
                ON CONFLICT(usage_key) DO UPDATE SET amount_minor = excluded.amount_minor, count = excluded.count
                """, db)
        }
    }

    func hotStatements(_ db: Database) throws -> HotStatements {
        if let hot { return hot }
        let made = try HotStatements(db)
        hot = made
        return made
    }

    /// Set per command: the instant and Shanghai business date every check in it uses.
    private(set) var now: Int64 = 0
    private(set) var today = BusinessDate(daysSinceEpoch: 0)

    init(configuration: EngineConfiguration, clock: any EngineClock, clearing: any ClearingSystem) {
        self.configuration = configuration
        self.clock = clock
        self.clearing = clearing
        router = Router(rules: configuration.routing, calendar: configuration.calendar)
        limitBook = LimitBook(configuration.limits)
        var corporations: [String: CorporationProfile] = [:]
        for seed in configuration.seed.corporations {
            corporations[seed.id] = CorporationProfile(id: seed.id, name: seed.name, roles: seed.roles, operators: seed.operators)
        }
        self.corporations = corporations
    }

    // MARK: Per-command setup and caches

    func begin(_ db: Database) throws {
        now = clock.nowEpochSeconds()
        today = BusinessDate(epochSeconds: now)
        if !cachesValid { try reload(db) }
        if limitKeysDate != today {
            limitKeysDate = today
            limitKeysToday = limitBook.usageKeys(on: today)
            todaySlots = try limitKeysToday.map { key in try key.map { try slot(for: $0, db) } }
            todayText = today.description
        }
    }

    /// Replaces the limit rules (SIGHUP). Usage already consumed today stays: it is keyed by rule id and period.
    func replaceLimits(_ rules: [LimitRule]) {
        limitBook = LimitBook(rules)
        limitKeysDate = nil
    }

    /// Forgets every cache and prepared statement (after a rollback, and before the connection closes).
    func discardCaches() {
        cachesValid = false
        statements.removeAll()
        hot = nil
    }

    private func reload(_ db: Database) throws {
        accounts.removeAll()
        accountInfo.removeAll()
        usageSlotByKey.removeAll()
        usageSlots.removeAll()
        dirtySlots.removeAll()
        todaySlots.removeAll()
        limitKeysDate = nil
        beneficiaries.removeAll()
        dirtyAccounts.removeAll()
        for row in try Row.fetchAll(db, sql: "SELECT * FROM accounts") {
            guard let currency = Currency(row["currency"] as String), let kind = AccountKind(rawValue: row["kind"]),
                  let status = AccountStatus(rawValue: row["status"]) else {
                throw StoreCorruption("account row with an unreadable enumeration")
            }
            let state = AccountState(number: row["number"], currency: currency, kind: kind, status: status,
                                     overdraftMinor: row["overdraft_minor"], balanceMinor: row["balance_minor"], holdsMinor: row["holds_minor"])
            // Checked when written (flush) and again when read.
            precondition(state.isWithinOverdraft, "account \(state.number) is below its overdraft line in the database")
            accounts[state.number] = state
            accountInfo[state.number] = AccountInfo(corporation: row["corporation"], parent: row["parent"], name: row["name"])
        }
        nextPostingId = try Int64.fetchOne(db, sql: "SELECT next_value FROM counters WHERE name = 'posting'") ?? 1
        nextEventId = try Int64.fetchOne(db, sql: "SELECT next_value FROM counters WHERE name = 'event'") ?? 1
        approvalRules.removeAll()
        for row in try Row.fetchAll(db, sql: "SELECT corporation, rules_json FROM approval_rules") {
            let json: String = row["rules_json"]
            approvalRules[row["corporation"]] = try JSONDecoder().decode([ApprovalRule].self, from: Data(json.utf8))
        }
        cachesValid = true
    }

    func statement(_ sql: StaticString, _ db: Database) throws -> Statement {
        let key = UInt(bitPattern: sql.utf8Start)
        if let cached = statements[key] { return cached }
        let made = try db.makeStatement(sql: sql.description)
        statements[key] = made
        return made
    }

    func execute(_ sql: StaticString, _ arguments: StatementArguments, _ db: Database) throws {
        let prepared = try statement(sql, db)
        prepared.setUncheckedArguments(arguments)
        try prepared.execute()
    }

    // MARK: Money movements

    /// Applies a balanced posting set to the cached balances and writes its legs.
    func post(_ set: PostingSet, paymentId: Int64?, counterparties: [String?], memo: String, _ db: Database) throws {
        for (index, posting) in set.postings.enumerated() {
            guard var state = accounts[posting.account] else {
                preconditionFailure("postings are built only for accounts the writer has checked")
            }
            state.apply(posting)
            precondition(state.isWithinOverdraft, "a debit was applied without canCommit or an existing hold")
            accounts[posting.account] = state
            dirtyAccounts.insert(posting.account)
            let insert = try hotStatements(db).insertPosting
            insert.bind(1, paymentId); insert.bind(2, posting.account); insert.bind(3, posting.amountMinor)
            insert.bind(4, posting.currency.code); insert.bind(5, todayText); insert.bind(6, now)
            insert.bind(7, index < counterparties.count ? counterparties[index] : nil); insert.bind(8, memo)
            insert.bind(9, nextPostingId)
            nextPostingId += 1
            try insert.execute()
        }
    }

    func hold(_ amountMinor: Int64, on account: String) {
        guard var state = accounts[account] else { preconditionFailure("holds only on checked accounts") }
        state.addHold(amountMinor)
        accounts[account] = state
        dirtyAccounts.insert(account)
    }

    func releaseHold(_ amountMinor: Int64, on account: String) {
        guard amountMinor > 0 else { return }
        guard var state = accounts[account] else { preconditionFailure("holds only on checked accounts") }
        state.releaseHold(amountMinor)
        accounts[account] = state
        dirtyAccounts.insert(account)
    }

    // MARK: Limits

    /// The applicable rules of a subject, in check order. Today's buckets were loaded when the
    /// business date was set (`begin`), so the pure check reads them by rule index.
    func loadUsage(for subject: LimitSubject, _ db: Database) throws -> [Int] {
        limitBook.applicableRuleIndices(for: subject)
    }

    /// Today's usage of rule `index` (its bucket was loaded with the day's slots).
    func usageOfRule(_ index: Int) -> LimitUsage {
        guard let slot = todaySlots[index] else { return LimitUsage() }
        return usageSlots[slot].usage
    }

    /// Today's usage by key, for headroom reports.
    func cachedUsage(_ key: String) -> LimitUsage {
        usageSlotByKey[key].map { usageSlots[$0].usage } ?? LimitUsage()
    }

    /// The slot of a bucket, loading it from the database the first time it is needed; a read
    /// error aborts the command rather than reading as zero.
    private func slot(for key: String, _ db: Database) throws -> Int {
        if let slot = usageSlotByKey[key] { return slot }
        let row = try Row.fetchOne(try statement("SELECT amount_minor, count FROM limit_usage WHERE usage_key = ?", db), arguments: [key])
        let loaded = row.map { LimitUsage(amountMinor: $0[0], count: $0[1]) } ?? LimitUsage()
        usageSlots.append((key: key, usage: loaded, dirty: false))
        usageSlotByKey[key] = usageSlots.count - 1
        return usageSlots.count - 1
    }

    private func adjust(slot: Int, amountMinor: Int64, count: Int64) {
        usageSlots[slot].usage.amountMinor = max(0, usageSlots[slot].usage.amountMinor + amountMinor)
        usageSlots[slot].usage.count = max(0, usageSlots[slot].usage.count + count)
        if !usageSlots[slot].dirty {
            usageSlots[slot].dirty = true
            dirtySlots.append(slot)
        }
    }

    func consume(_ consumptions: [LimitConsumption]) {
        for item in consumptions {
            guard let slot = todaySlots[item.ruleIndex] else {
                preconditionFailure("consumptions come from a check against today's buckets")
            }
            precondition(usageSlots[slot].key == item.usageKey, "a consumption names its rule's bucket for today")
            adjust(slot: slot, amountMinor: item.amountMinor, count: item.count)
        }
    }

    /// Gives back what a payment consumed (reject, cancel, expiry, failure, return).
    /// A payroll item carries its batch's buckets and gives back only its amount share: the batch
    /// counted once, and the batch-level release (reject, cancel, expiry before approval) covers
    /// the rest, its items being finished without a share release.
    func releaseLimits(of record: PaymentRecord, _ db: Database) throws {
        for key in record.limitKeys {
            // Count-only buckets were consumed with amount 0; amount buckets with the amount.
            let isCount = limitBook.rules.first { key.hasPrefix($0.id + "@") }?.period == .dailyCount
            adjust(slot: try slot(for: key, db), amountMinor: isCount ? 0 : -record.amount.minorUnits,
                   count: record.kind == .item ? 0 : -1)
        }
    }

    // MARK: Beneficiaries

    func isNewBeneficiary(_ corporation: String, _ account: String, _ db: Database) throws -> Bool {
        if beneficiaries[corporation] == nil {
            let known = try String.fetchAll(db, sql: "SELECT account FROM beneficiaries WHERE corporation = ?", arguments: [corporation])
            beneficiaries[corporation] = Set(known)
        }
        return !(beneficiaries[corporation]?.contains(account) ?? false)
    }

    func rememberBeneficiary(_ corporation: String, _ account: String, _ db: Database) throws {
        guard try isNewBeneficiary(corporation, account, db) else { return }
        beneficiaries[corporation, default: []].insert(account)
        try execute("INSERT OR IGNORE INTO beneficiaries (corporation, account) VALUES (?, ?)", [corporation, account], db)
    }

    // MARK: Payment rows and events

    func insert(_ record: inout PaymentRecord, events: [(PaymentStatus?, PaymentStatus, String)], _ db: Database) throws {
        let insert = try hotStatements(db).insertPayment
        record.bindInsert(insert)
        record.id = try insert.execute()
        for (from, to, detail) in events {
            try recordEvent(record.id, from: from, to: to, detail: detail, db)
        }
    }

    /// Moves a stored payment to `next`, checking the transition table, and records the event.
    func transition(_ record: inout PaymentRecord, to next: PaymentStatus, detail: String, _ db: Database) throws {
        // Callers check the state first; an illegal transition reaching here is a bug.
        precondition(record.status.canTransition(to: next), "transition \(record.status) → \(next) is not in the table")
        let previous = record.status
        record.status = next
        record.updatedAt = now
        try execute(PaymentRecord.updateSQL, record.updateArguments, db)
        try recordEvent(record.id, from: previous, to: next, detail: detail, db)
    }

    func recordEvent(_ paymentId: Int64, from: PaymentStatus?, to: PaymentStatus, detail: String, _ db: Database) throws {
        let insert = try hotStatements(db).insertEvent
        insert.bind(1, paymentId); insert.bind(2, from?.rawValue); insert.bind(3, to.rawValue); insert.bind(4, now); insert.bind(5, detail)
        insert.bind(6, nextEventId)
        nextEventId += 1
        try insert.execute()
    }

    func fetchPayment(id: Int64, _ db: Database) throws -> PaymentRecord? {
        try Row.fetchOne(try statement("SELECT * FROM payments WHERE id = ?", db), arguments: [id]).map(PaymentRecord.init(row:))
    }

    func fetchPayment(corporation: String, serial: String, _ db: Database) throws -> PaymentRecord? {
        try Row.fetchOne(try statement("SELECT * FROM payments WHERE corporation = ? AND serial = ?", db),
                         arguments: [corporation, serial]).map(PaymentRecord.init(row:))
    }

    func fetchPayment(_ reference: PaymentReference, corporation: String, _ db: Database) throws -> PaymentRecord? {
        switch reference {
        case .serial(let serial):
            return try fetchPayment(corporation: corporation, serial: serial, db)
        case .bankReference(let text):
            guard let id = PaymentRecord.id(fromBankReference: text), let record = try fetchPayment(id: id, db),
                  record.corporation == corporation else { return nil }
            return record
        }
    }

    /// Who owns a serial in the corporation's serial space: a payment id, -1 for an
    /// approve/reject/cancel instruction, nil when the serial is new. One indexed probe per table.
    func serialOwner(corporation: String, serial: String, _ db: Database) throws -> Int64? {
        let probe = try hotStatements(db).serialOwner
        probe.bind(1, corporation)
        probe.bind(2, serial)
        return try probe.firstInt64()
    }

    /// Whether the serial was used by an approve/reject/cancel instruction (the shared serial space).
    func instructionKind(corporation: String, serial: String, _ db: Database) throws -> String? {
        try String.fetchOne(try statement("SELECT kind FROM instructions WHERE corporation = ? AND serial = ?", db),
                            arguments: [corporation, serial])
    }

    // MARK: Group commit

    /// Writes back the balances and usage the group changed. Runs last in every group transaction.
    func flush(_ db: Database) throws {
        let hot = try hotStatements(db)
        for number in dirtyAccounts {
            guard let state = accounts[number] else { continue }
            precondition(state.isWithinOverdraft, "account \(number) would be written below its overdraft line")
            hot.updateAccount.bind(1, state.balanceMinor); hot.updateAccount.bind(2, state.holdsMinor)
            hot.updateAccount.bind(3, state.status.rawValue); hot.updateAccount.bind(4, number)
            try hot.updateAccount.execute()
        }
        for slot in dirtySlots {
            let entry = usageSlots[slot]
            hot.upsertUsage.bind(1, entry.key); hot.upsertUsage.bind(2, entry.usage.amountMinor); hot.upsertUsage.bind(3, entry.usage.count)
            try hot.upsertUsage.execute()
            usageSlots[slot].dirty = false
        }
        hot.updateCounter.bind(1, nextPostingId); hot.updateCounter.bind(2, "posting")
        try hot.updateCounter.execute()
        hot.updateCounter.bind(1, nextEventId); hot.updateCounter.bind(2, "event")
        try hot.updateCounter.execute()
        dirtyAccounts.removeAll(keepingCapacity: true)
        dirtySlots.removeAll(keepingCapacity: true)
    }
}
