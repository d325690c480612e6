/// The channel a client used to reach the bank; bank-wide limits can differ per channel.
public enum AccessChannel: String, Sendable, Codable, Hashable, CaseIterable {
    case directLink = "DIRECT_LINK", online = "ONLINE", mobile = "MOBILE"
}

/// What a limit rule applies to.
public enum LimitScope: Sendable, Hashable, Codable {
    case bankChannel(AccessChannel)
    case corporation(String)
    case account(String)
    case `operator`(corporation: String, operatorId: String)
    case transactionType(String)
}

public enum LimitPeriod: String, Sendable, Codable, Hashable {
    case perTransaction = "PER_TRANSACTION"
    case daily = "DAILY"
    case monthly = "MONTHLY"
    case yearly = "YEARLY"
    /// A number of payments per business day; `max` is a count, not money.
    case dailyCount = "DAILY_COUNT"
}

/// One limit: "scope may move at most `max` per period" (or make at most `max` payments a day).
public struct LimitRule: Sendable, Hashable, Codable {
    public var id: String
    public var scope: LimitScope
    public var period: LimitPeriod
    /// Minor units, or a count for `dailyCount`.
    public var max: Int64
    public var currency: Currency

    public init(id: String, scope: LimitScope, period: LimitPeriod, max: Int64, currency: Currency = .cny) {
        self.id = id
        self.scope = scope
        self.period = period
        self.max = max
        self.currency = currency
    }

    /// The usage bucket this rule consumes for a payment accepted on `date`; nil for per-transaction rules.
    public func usageKey(on date: BusinessDate) -> String? {
        switch period {
        case .perTransaction: return nil
        case .daily, .dailyCount: return id + "@" + date.dayKey
        case .monthly: return id + "@" + date.monthKey
        case .yearly: return id + "@" + date.yearKey
        }
    }
}

/// Amount and count already consumed in one usage bucket.
public struct LimitUsage: Sendable, Hashable {
    public var amountMinor: Int64
    public var count: Int64
    public init(amountMinor: Int64 = 0, count: Int64 = 0) {
        self.amountMinor = amountMinor
        self.count = count
    }
}

/// Who and what a payment is, as limits see it.
public struct LimitSubject: Sendable, Hashable {
    public var accessChannel: AccessChannel
    public var corporation: String
    public var account: String
    public var operatorId: String
    public var transactionType: String
    public var amount: Money

    public init(accessChannel: AccessChannel, corporation: String, account: String, operatorId: String, transactionType: String, amount: Money) {
        self.accessChannel = accessChannel
        self.corporation = corporation
        self.account = account
        self.operatorId = operatorId
        self.transactionType = transactionType
        self.amount = amount
    }
}

/// The headroom a rule leaves for one payment (used by pre-validation and by rejections).
public struct LimitHeadroom: Sendable, Hashable, Codable {
    public var ruleId: String
    public var period: LimitPeriod
    public var max: Int64
    /// What remains before this payment (minor units or a count).
    public var remaining: Int64
    public var wouldPass: Bool
}

/// What accepting a payment consumes: added on acceptance, subtracted on release.
public struct LimitConsumption: Sendable, Hashable {
    public var usageKey: String
    public var amountMinor: Int64
    public var count: Int64
    /// The rule's index in its `LimitBook`.
    public var ruleIndex: Int
}

/// All limit rules, indexed by scope so a payment finds its rules without scanning.
public struct LimitBook: Sendable {
    private var byScope: [LimitScope: [Int]] = [:]
    public private(set) var rules: [LimitRule] = []

    public init(_ rules: [LimitRule]) {
        for (index, rule) in rules.enumerated() { byScope[rule.scope, default: []].append(index) }
        self.rules = rules
    }

    /// Indices into `rules`, in check order: bank channel, corporation, account, operator, transaction type.
    public func applicableRuleIndices(for subject: LimitSubject) -> [Int] {
        var result: [Int] = []
        func add(_ scope: LimitScope) {
            for index in byScope[scope] ?? [] where rules[index].period == .dailyCount || rules[index].currency == subject.amount.currency {
                result.append(index)
            }
        }
        add(.bankChannel(subject.accessChannel))
        add(.corporation(subject.corporation))
        add(.account(subject.account))
        add(.operator(corporation: subject.corporation, operatorId: subject.operatorId))
        add(.transactionType(subject.transactionType))
        return result
    }

    public func applicableRules(for subject: LimitSubject) -> [LimitRule] {
        applicableRuleIndices(for: subject).map { rules[$0] }
    }

    /// Every rule's usage bucket on `date` (nil for per-transaction rules), aligned with `rules`.
    /// Callers on a hot path compute this once per business day.
    public func usageKeys(on date: BusinessDate) -> [String?] {
        rules.map { $0.usageKey(on: date) }
    }

    /// Headroom under every applicable rule. `usage` returns what a bucket has consumed so far.
    public func headroom(for subject: LimitSubject, on date: BusinessDate, usage: (String) -> LimitUsage) -> [LimitHeadroom] {
        applicableRuleIndices(for: subject).map { index in
            let rule = rules[index]
            let used = rule.usageKey(on: date).map(usage) ?? LimitUsage()
            let isCount = rule.period == .dailyCount
            let consumed = isCount ? used.count : used.amountMinor
            let wanted = isCount ? 1 : subject.amount.minorUnits
            let remaining = Swift.max(0, rule.max - consumed)
            return LimitHeadroom(ruleId: rule.id, period: rule.period, max: rule.max, remaining: remaining, wouldPass: wanted <= remaining)
        }
    }

    public func check(_ subject: LimitSubject, on date: BusinessDate, usage: (String) -> LimitUsage) -> Result<[LimitConsumption], EngineError> {
        check(subject, keys: usageKeys(on: date), usage: usage)
    }

    /// Checks every applicable rule in a fixed order (bank channel, corporation, account,
    /// operator, transaction type); the first that refuses is named with its headroom.
    /// On success returns what to consume. `keys` comes from `usageKeys(on:)` for the business date.
    public func check(_ subject: LimitSubject, keys: [String?], usage: (String) -> LimitUsage) -> Result<[LimitConsumption], EngineError> {
        check(subject, indices: applicableRuleIndices(for: subject), keys: keys) { index in keys[index].map(usage) ?? LimitUsage() }
    }

    /// As above, with the subject's `applicableRuleIndices` already computed (the writer needs them
    /// first to load usage) and usage looked up by rule index (today's bucket of that rule).
    public func check(_ subject: LimitSubject, indices: [Int], keys: [String?],
                      usageOfRule: (Int) -> LimitUsage) -> Result<[LimitConsumption], EngineError> {
        precondition(keys.count == rules.count, "usage keys are computed from this book")
        var consumptions: [LimitConsumption] = []
        consumptions.reserveCapacity(indices.count)
        for index in indices {
            let rule = rules[index]
            let key = keys[index]
            let used = key == nil ? LimitUsage() : usageOfRule(index)
            let isCount = rule.period == .dailyCount
            let consumed = isCount ? used.count : used.amountMinor
            let wanted = isCount ? 1 : subject.amount.minorUnits
            let remaining = Swift.max(0, rule.max - consumed)
            // Compared as wanted > max - consumed, so nothing overflows.
            if wanted > remaining {
                let unit = isCount ? "\(remaining) payments" : Money.format(minorUnits: remaining)
                return .failure(EngineError(.limitExceeded, "limit \(rule.id) (\(rule.period.rawValue)) allows \(unit) more",
                                            ruleId: rule.id, headroom: remaining))
            }
            if let key {
                consumptions.append(LimitConsumption(usageKey: key, amountMinor: isCount ? 0 : wanted, count: 1, ruleIndex: index))
            }
        }
        return .success(consumptions)
    }
}
