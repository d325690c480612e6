import DirectLinkLedger

/// A self-contained configuration and a deterministic stream of intra-bank transfers, shared
/// by `directlink bench engine`, the crash-test loader (`directlink engine-load`) and its
/// checker, so all three agree on what transfer number n is.
///
/// Every limit scope has a rule (bank channel, corporation, account, operator, transaction
/// type; per transaction, daily, monthly, yearly, daily count) and an approval rule applies
/// from 1,000,000.00; the transfers (1.00 to 9.99) stay below every threshold, so every rule
/// is evaluated and none waits.
public enum SyntheticWorkload {
    public static let corporation = "BENCH001"
    public static let operatorId = "MAKER01"
    public static let accountCount = 64
    public static let openingBalanceMinor: Int64 = 1_000_000_000_00
    /// The workload's business day, a Wednesday: 2026-11-25 (20 782 days after 1970-01-01).
    public static let businessDay = BusinessDate(daysSinceEpoch: 20_782)

    public static func accountNumber(_ index: Int) -> String {
        let digits = String(index)
        return "62290009" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    public static func configuration(calendar: BusinessCalendar = BusinessCalendar()) -> EngineConfiguration {
        let accounts = (0..<accountCount).map {
            AccountSeed(number: accountNumber($0), name: "bench \($0)", openingBalance: Money.format(minorUnits: openingBalanceMinor))
        }
        let bankAccounts = ["BANK-EQUITY", "BANK-CLR-HVPS", "BANK-CLR-IBPS", "BANK-CLR-BEPS"].map { AccountSeed(number: $0, name: $0) }
        let corporation = CorporationSeed(
            id: corporation, name: "基准测试有限公司",
            roles: [Role(name: "maker", transactionTypes: ["PAY.SINGLE"], accounts: ["*"]),
                    Role(name: "approver", transactionTypes: ["APPROVE"], accounts: ["*"])],
            operators: [OperatorProfile(id: operatorId, name: "maker", roles: ["maker"]),
                        OperatorProfile(id: "APPR01", name: "approver", roles: ["approver"])],
            accounts: accounts,
            approvalRules: [ApprovalRule(id: "BENCH-LARGE", condition: ApprovalCondition(amountMinMinor: 100_000_000),
                                         levels: [ApprovalLevel(role: "approver", required: 1)])])
        let big: Int64 = 1_000_000_000_000_00
        let limits = [
            LimitRule(id: "BENCH-BANK-TXN", scope: .bankChannel(.directLink), period: .perTransaction, max: 50_000_000_00),
            LimitRule(id: "BENCH-CORP-DAILY", scope: .corporation(corporation.id), period: .daily, max: big),
            LimitRule(id: "BENCH-CORP-MONTHLY", scope: .corporation(corporation.id), period: .monthly, max: big),
            LimitRule(id: "BENCH-CORP-YEARLY", scope: .corporation(corporation.id), period: .yearly, max: big),
            LimitRule(id: "BENCH-ACCOUNT-DAILY", scope: .account(accountNumber(0)), period: .daily, max: big),
            LimitRule(id: "BENCH-OPERATOR-COUNT", scope: .operator(corporation: corporation.id, operatorId: operatorId), period: .dailyCount, max: 100_000_000),
            LimitRule(id: "BENCH-TYPE-DAILY", scope: .transactionType("PAY.SINGLE"), period: .daily, max: big),
        ]
        let seed = Seed(equityAccount: "BANK-EQUITY",
                        clearingAccounts: ["HVPS": "BANK-CLR-HVPS", "IBPS": "BANK-CLR-IBPS", "BEPS": "BANK-CLR-BEPS"],
                        bankAccounts: bankAccounts, corporations: [corporation])
        let routing = RoutingRules(ownBankCode: "999999000001", hvpsThresholdMinor: 100_000_000, hvpsOpenMinute: 510,
                                   hvpsCloseMinute: 1035, ibpsCapMinor: 5_000_000)
        return EngineConfiguration(routing: routing, calendar: calendar, limits: limits, seed: seed)
    }

    /// Transfer number `n`, every `interBankEvery`-th (if > 0) going to another bank: those are
    /// held and RELEASED to clearing instead of settling at once.
    public static func transfer(_ n: Int, interBankEvery: Int) -> PaymentOrder {
        guard interBankEvery > 0, n % interBankEvery == interBankEvery - 1 else { return transfer(n) }
        var order = transfer(n)
        let digits = String(n % 1_000_000 + 1)
        order.creditAccount = "621700" + String(repeating: "0", count: 8 - digits.count) + digits + "11"
        order.payeeBankCode = "102100099996"
        return order
    }

    /// Transfer number `n` (from 0): deterministic accounts and amount (1.00 to 9.99).
    public static func transfer(_ n: Int, serialPrefix: String = "T") -> PaymentOrder {
        let from = n % accountCount
        let to = (n * 7 + 1) % accountCount == from ? (from + 1) % accountCount : (n * 7 + 1) % accountCount
        return PaymentOrder(corporation: corporation, operatorId: operatorId, serial: serialPrefix + String(n),
                            debitAccount: accountNumber(from), creditAccount: accountNumber(to), payeeName: "bench payee",
                            amount: amount(n), orderDigest: "00")
    }

    public static func amount(_ n: Int) -> Money {
        Money(minorUnits: Int64(100 + (n * 37) % 900))
    }
}
