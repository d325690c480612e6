import DirectLinkLedger
import Foundation

/// Bounds on everything the engine accepts, from `conf/engine/engine.json`. Units last.
public struct EngineBounds: Sendable, Hashable, Codable {
    public var serialBytesMax: Int = 64
    public var textBytesMax: Int = 256
    public var batchItemsMax: Int = 10_000
    /// How many commands at most share one database transaction (group commit).
    public var groupCommitCommandsMax: Int = 1_000
    /// An approval flow not finished this long after submission expires and releases its holds.
    public var approvalTimeToLiveSeconds: Int64 = 86_400
    public var valueDateDaysAheadMax: Int = 30
    public var detailsPageEntriesMax: Int = 500
    public var housekeepingRowsMax: Int = 1_000

    public init() {}

    /// Relationships checked at start-up.
    public func validate() throws {
        guard serialBytesMax >= 1, textBytesMax >= 1, batchItemsMax >= 1, groupCommitCommandsMax >= 1,
              approvalTimeToLiveSeconds >= 1, valueDateDaysAheadMax >= 0, detailsPageEntriesMax >= 1, housekeepingRowsMax >= 1 else {
            throw ConfigurationError("every engine bound must be positive")
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Accounts, corporations, operators, roles, approval rules (seed), limit rules, routing and
/// calendar: everything the engine is opened with.
public struct EngineConfiguration: Sendable {
    public var bounds: EngineBounds
    public var routing: RoutingRules
    public var calendar: BusinessCalendar
    public var limits: [LimitRule]
    public var seed: Seed

    public init(bounds: EngineBounds = EngineBounds(), routing: RoutingRules, calendar: BusinessCalendar, limits: [LimitRule], seed: Seed) {
        self.bounds = bounds
        self.routing = routing
        self.calendar = calendar
        self.limits = limits
        self.seed = seed
    }

    /// Loads `engine.json`, `routing.json`, `calendar.json`, `limits.json` and `seed.json` from a directory (`conf/engine`).
    public static func load(directory: URL) throws -> EngineConfiguration {
        func read<T: Decodable>(_ name: String, as: T.Type) throws -> T {
            let url = directory.appendingPathComponent(name)
            do {
                return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
            } catch {
                throw ConfigurationError("\(url.path): \(error)")
            }
        }
        let bounds = try read("engine.json", as: EngineBounds.self)
        let routing = try read("routing.json", as: RoutingSeed.self).rules()
        let calendar = try read("calendar.json", as: BusinessCalendar.self)
        let limits = try read("limits.json", as: [LimitSeed].self).map { try $0.rule() }
        let seed = try read("seed.json", as: Seed.self)
        let configuration = EngineConfiguration(bounds: bounds, routing: routing, calendar: calendar, limits: limits, seed: seed)
        try configuration.validate()
        return configuration
    }

    public func validate() throws {
        try bounds.validate()
        let numbers = seed.bankAccounts.map(\.number) + seed.corporations.flatMap { $0.accounts.map(\.number) }
        guard Set(numbers).count == numbers.count else { throw ConfigurationError("an account number appears twice in the seed") }
        guard seed.bankAccounts.contains(where: { $0.number == seed.equityAccount }) else {
            throw ConfigurationError("equityAccount \(seed.equityAccount) is not a bank account")
        }
        for channel in [Channel.hvps, .ibps, .beps] where !seed.bankAccounts.contains(where: { $0.number == seed.clearingAccounts[channel.rawValue] }) {
            throw ConfigurationError("no bank clearing account for \(channel.rawValue)")
        }
        for corporation in seed.corporations {
            let roles = Set(corporation.roles.map(\.name))
            for rule in corporation.approvalRules where rule.levels.isEmpty || rule.levels.contains(where: { $0.required < 1 }) {
                throw ConfigurationError("approval rule \(rule.id) of \(corporation.id) needs at least one level requiring ≥ 1 approver")
            }
            for rule in corporation.approvalRules {
                for level in rule.levels where !roles.contains(level.role) {
                    throw ConfigurationError("approval rule \(rule.id) of \(corporation.id) names role \(level.role), which is not defined")
                }
            }
            for profile in corporation.operators {
                for role in profile.roles where !roles.contains(role) {
                    throw ConfigurationError("operator \(profile.id) of \(corporation.id) has role \(role), which is not defined")
                }
            }
            let numbers = Set(corporation.accounts.map(\.number))
            for account in corporation.accounts {
                if let parent = account.parent, !numbers.contains(parent) {
                    throw ConfigurationError("virtual account \(account.name) of \(corporation.id) sits under an account it does not have")
                }
            }
        }
        guard routing.ownBankCode.utf8.count == 12, routing.hvpsOpenMinute < routing.hvpsCloseMinute,
              routing.hvpsCloseMinute <= 1440, routing.ibpsCapMinor > 0 else {
            throw ConfigurationError("routing: ownBankCode must be 12 digits and the HVPS window must lie within a day")
        }
    }
}

/// `seed.json`: the bank's own accounts and the demo corporations.
public struct Seed: Sendable, Hashable, Codable {
    public var equityAccount: String
    /// Channel raw value (`HVPS`, `IBPS`, `BEPS`) → bank clearing account.
    public var clearingAccounts: [String: String]
    public var bankAccounts: [AccountSeed]
    public var corporations: [CorporationSeed]

    public init(equityAccount: String, clearingAccounts: [String: String], bankAccounts: [AccountSeed], corporations: [CorporationSeed]) {
        self.equityAccount = equityAccount
        self.clearingAccounts = clearingAccounts
        self.bankAccounts = bankAccounts
        self.corporations = corporations
    }
}

public struct AccountSeed: Sendable, Hashable, Codable {
    public var number: String
    public var name: String
    public var currency: Currency?
    public var status: AccountStatus?
    /// Decimal text; the opening balance is posted from the equity account so the ledger balances.
    public var openingBalance: String?
    public var overdraft: String?
    /// Set for a virtual sub-account: the real account it sits under.
    public var parent: String?

    public init(number: String, name: String, currency: Currency? = nil, status: AccountStatus? = nil,
                openingBalance: String? = nil, overdraft: String? = nil, parent: String? = nil) {
        self.number = number
        self.name = name
        self.currency = currency
        self.status = status
        self.openingBalance = openingBalance
        self.overdraft = overdraft
        self.parent = parent
    }
}

public struct CorporationSeed: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var roles: [Role]
    public var operators: [OperatorProfile]
    public var accounts: [AccountSeed]
    public var approvalRules: [ApprovalRule]

    public init(id: String, name: String, roles: [Role], operators: [OperatorProfile], accounts: [AccountSeed], approvalRules: [ApprovalRule]) {
        self.id = id
        self.name = name
        self.roles = roles
        self.operators = operators
        self.accounts = accounts
        self.approvalRules = approvalRules
    }
}

/// `routing.json`, amounts as decimal text and the HVPS window as `HH:MM`.
struct RoutingSeed: Codable {
    var ownBankCode: String
    var hvpsThreshold: String
    var hvpsOpen: String
    var hvpsClose: String
    var ibpsCap: String

    func rules() throws -> RoutingRules {
        RoutingRules(ownBankCode: ownBankCode, hvpsThresholdMinor: try parseMoney(hvpsThreshold).minorUnits,
                     hvpsOpenMinute: try minute(hvpsOpen), hvpsCloseMinute: try minute(hvpsClose),
                     ibpsCapMinor: try parseMoney(ibpsCap).minorUnits)
    }

    private func minute(_ text: String) throws -> Int {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0...24).contains(hour), (0..<60).contains(minute),
              hour * 60 + minute <= 1440 else { throw ConfigurationError("routing: \(text) is not HH:MM") }
        return hour * 60 + minute
    }
}

/// One entry of `limits.json`: `scope` is BANK_CHANNEL, CORPORATION, ACCOUNT, OPERATOR or
/// TRANSACTION_TYPE; `target` names it (for OPERATOR also `corporation`); `max` is decimal
/// text, or a count for DAILY_COUNT.
public struct LimitSeed: Sendable, Hashable, Codable {
    public var id: String
    public var scope: String
    public var target: String
    public var corporation: String?
    public var period: LimitPeriod
    public var max: String
    public var currency: Currency?

    public func rule() throws -> LimitRule {
        let resolved: LimitScope
        switch scope {
        case "BANK_CHANNEL":
            guard let channel = AccessChannel(rawValue: target) else { throw ConfigurationError("limit \(id): unknown access channel \(target)") }
            resolved = .bankChannel(channel)
        case "CORPORATION": resolved = .corporation(target)
        case "ACCOUNT": resolved = .account(target)
        case "OPERATOR":
            guard let corporation else { throw ConfigurationError("limit \(id): OPERATOR scope needs corporation") }
            resolved = .operator(corporation: corporation, operatorId: target)
        case "TRANSACTION_TYPE": resolved = .transactionType(target)
        default: throw ConfigurationError("limit \(id): unknown scope \(scope)")
        }
        let maximum: Int64
        if period == .dailyCount {
            guard let count = Int64(max), count >= 0 else { throw ConfigurationError("limit \(id): max must be a count") }
            maximum = count
        } else {
            maximum = try parseMoney(max).minorUnits
        }
        return LimitRule(id: id, scope: resolved, period: period, max: maximum, currency: currency ?? .cny)
    }
}

func parseMoney(_ text: String, currency: Currency = .cny) throws -> Money {
    do {
        return try AmountParser.parse(text, currency: currency)
    } catch {
        throw ConfigurationError("\(text): \(error.reason)")
    }
}
