/// One leg of a movement: a signed amount on one account. Positive credits the account
/// (its balance rises), negative debits it.
public struct Posting: Hashable, Sendable {
    public let account: String
    public let amountMinor: Int64
    public let currency: Currency

    public init(account: String, amountMinor: Int64, currency: Currency) {
        self.account = account
        self.amountMinor = amountMinor
        self.currency = currency
    }
}

/// A balanced set of postings: per currency the legs sum to zero. Only balanced sets can be
/// built, so the store can only ever write balanced movements.
public struct PostingSet: Hashable, Sendable {
    public let postings: [Posting]

    /// Returns nil when the legs do not balance per currency, a leg is zero, or a sum overflows.
    public init?(_ postings: [Posting]) {
        guard postings.count >= 2 else { return nil }
        var sums: [Currency: Int64] = [:]
        for posting in postings {
            guard posting.amountMinor != 0 else { return nil }
            let (sum, overflow) = sums[posting.currency, default: 0].addingReportingOverflow(posting.amountMinor)
            guard !overflow else { return nil }
            sums[posting.currency] = sum
        }
        guard sums.values.allSatisfy({ $0 == 0 }) else { return nil }
        self.postings = postings
    }

    /// A transfer of a positive amount from one account to another: always balanced.
    public static func transfer(from debit: String, to credit: String, amount: Money) -> PostingSet {
        // A non-positive amount never passes AmountParser, so reaching this is a bug.
        precondition(amount.minorUnits > 0, "transfers move a positive amount")
        let legs = [
            Posting(account: debit, amountMinor: -amount.minorUnits, currency: amount.currency),
            Posting(account: credit, amountMinor: amount.minorUnits, currency: amount.currency),
        ]
        guard let set = PostingSet(legs) else {
            preconditionFailure("a two-leg transfer of one positive amount always balances")
        }
        return set
    }
}

public enum AccountStatus: String, Sendable, Codable, Hashable {
    case active, frozen, closed
}

public enum AccountKind: String, Sendable, Codable, Hashable {
    /// A corporation's real account.
    case customer
    /// A virtual sub-account under a real account (cash pool member, household maintenance fund).
    case virtual
    /// A bank-internal account (equity, suspense, clearing per channel, fee income): may run negative.
    case bankInternal
}

/// The money state of one account as the ledger sees it.
public struct AccountState: Hashable, Sendable {
    public let number: String
    public let currency: Currency
    public let kind: AccountKind
    public var status: AccountStatus
    /// How far the balance may go below zero (≥ 0). Ignored for bank-internal accounts.
    public var overdraftMinor: Int64
    public var balanceMinor: Int64
    public var holdsMinor: Int64

    public init(number: String, currency: Currency, kind: AccountKind, status: AccountStatus,
                overdraftMinor: Int64, balanceMinor: Int64, holdsMinor: Int64) {
        self.number = number
        self.currency = currency
        self.kind = kind
        self.status = status
        self.overdraftMinor = overdraftMinor
        self.balanceMinor = balanceMinor
        self.holdsMinor = holdsMinor
    }

    /// Balance minus holds.
    public var availableMinor: Int64 { balanceMinor &- holdsMinor }

    /// Whether `amountMinor` more can be held or debited without going below the overdraft line.
    public func canCommit(_ amountMinor: Int64) -> Bool {
        if kind == .bankInternal { return true }
        // available - amount >= -overdraft  ⇔  available + overdraft >= amount, computed without overflow.
        let (room, overflow) = availableMinor.addingReportingOverflow(overdraftMinor)
        return overflow || room >= amountMinor
    }

    /// The invariant every committed state satisfies.
    public var isWithinOverdraft: Bool {
        kind == .bankInternal || (holdsMinor >= 0 && availableMinor >= -overdraftMinor)
    }

    public mutating func addHold(_ amountMinor: Int64) {
        precondition(amountMinor >= 0 && canCommit(amountMinor), "holds are checked with canCommit first")
        holdsMinor += amountMinor
    }

    public mutating func releaseHold(_ amountMinor: Int64) {
        precondition(amountMinor >= 0 && amountMinor <= holdsMinor, "only an existing hold can be released")
        holdsMinor -= amountMinor
    }

    /// Applies one posting leg. Debits are checked by the caller (canCommit or an existing hold).
    public mutating func apply(_ posting: Posting) {
        precondition(posting.account == number && posting.currency == currency, "posting applied to the wrong account")
        let (sum, overflow) = balanceMinor.addingReportingOverflow(posting.amountMinor)
        precondition(!overflow, "balances are bounded far below Int64 by AmountParser and limits")
        balanceMinor = sum
    }
}
