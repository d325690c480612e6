import DirectLinkLedger
import Testing

@Suite struct MoneyTests {
    @Test(arguments: [
        ("1", 100), ("1.5", 150), ("1.05", 105), ("0.01", 1), ("100000.00", 10_000_000),
        ("9999999999999.99", 999_999_999_999_999), ("007.10", 710),
    ] as [(String, Int64)])
    func parsesStrictDecimals(text: String, minor: Int64) throws {
        #expect(try AmountParser.parse(text).minorUnits == minor)
    }

    @Test(arguments: ["", "0", "0.00", "-1", "+1", "1.", ".5", "1.234", "1,000.00", "1e3", " 1", "1 ", "１", "10000000000000",
                      "1.2.3", "NaN", "0x10"])
    func rejectsEverythingElseAsAmountInvalid(text: String) {
        #expect(throws: EngineError.self) { try AmountParser.parse(text) }
        #expect((try? AmountParser.parse(text)) == nil)
        do { _ = try AmountParser.parse(text) } catch { #expect(error.code == .amountInvalid) }
    }

    @Test func arithmeticIsOverflowCheckedAndCurrencyChecked() {
        let max = Money(minorUnits: .max)
        #expect(max.adding(Money(minorUnits: 1)) == nil)
        #expect(Money(minorUnits: .min).subtracting(Money(minorUnits: 1)) == nil)
        #expect(Money(minorUnits: 1).adding(Money(minorUnits: 1, currency: .usd)) == nil)
        #expect(Money(minorUnits: 150).adding(Money(minorUnits: 5))?.minorUnits == 155)
    }

    @Test(arguments: [(0, "0.00"), (5, "0.05"), (12_345, "123.45"), (-12_345, "-123.45"), (Int64.min, "-92233720368547758.08")] as [(Int64, String)])
    func formatsWithTwoDecimals(minor: Int64, text: String) {
        #expect(Money.format(minorUnits: minor) == text)
    }

    @Test func currencyCodesAreThreeUppercaseLetters() {
        #expect(Currency("CNY") == .cny)
        #expect(Currency("cny") == nil)
        #expect(Currency("CN") == nil)
    }
}

@Suite struct PostingSetTests {
    @Test func onlyBalancedSetsCanBeBuilt() {
        #expect(PostingSet([Posting(account: "A", amountMinor: -5, currency: .cny), Posting(account: "B", amountMinor: 5, currency: .cny)]) != nil)
        #expect(PostingSet([Posting(account: "A", amountMinor: -5, currency: .cny), Posting(account: "B", amountMinor: 4, currency: .cny)]) == nil)
        #expect(PostingSet([Posting(account: "A", amountMinor: -5, currency: .cny), Posting(account: "B", amountMinor: 5, currency: .usd)]) == nil)
        #expect(PostingSet([Posting(account: "A", amountMinor: 0, currency: .cny), Posting(account: "B", amountMinor: 0, currency: .cny)]) == nil)
        #expect(PostingSet([Posting(account: "A", amountMinor: .max, currency: .cny), Posting(account: "B", amountMinor: .max, currency: .cny),
                            Posting(account: "C", amountMinor: 2, currency: .cny)]) == nil)
        let transfer = PostingSet.transfer(from: "A", to: "B", amount: Money(minorUnits: 7))
        #expect(transfer.postings.map(\.amountMinor) == [-7, 7])
    }

    @Test func accountsNeverCommitBeyondTheirOverdraftLine() {
        var account = AccountState(number: "A", currency: .cny, kind: .customer, status: .active, overdraftMinor: 100, balanceMinor: 50, holdsMinor: 0)
        #expect(account.canCommit(150))
        #expect(!account.canCommit(151))
        account.addHold(100)
        #expect(account.availableMinor == -50)
        #expect(!account.canCommit(51))
        #expect(account.isWithinOverdraft)
        let bank = AccountState(number: "EQ", currency: .cny, kind: .bankInternal, status: .active, overdraftMinor: 0, balanceMinor: 0, holdsMinor: 0)
        #expect(bank.canCommit(.max))
        let huge = AccountState(number: "H", currency: .cny, kind: .customer, status: .active, overdraftMinor: .max, balanceMinor: .max, holdsMinor: 0)
        #expect(huge.canCommit(.max))
    }
}

@Suite struct PaymentStatusTests {
    @Test func finalStatesHaveNoWayOutExceptSettledToReturned() {
        for status in PaymentStatus.allCases where status.isFinal {
            let exits = PaymentStatus.transitions[status] ?? []
            #expect(exits.isEmpty || (status == .settled && exits == [.returned]), "\(status)")
        }
        for status in PaymentStatus.allCases where !status.isFinal {
            #expect(!(PaymentStatus.transitions[status] ?? []).isEmpty, "\(status) must lead somewhere")
        }
    }

    @Test func cancellationIsPossibleOnlyBeforeRelease() {
        let cancellable = PaymentStatus.allCases.filter { $0.canTransition(to: .cancelled) }
        #expect(Set(cancellable) == [.pendingApproval, .scheduled])
    }

    @Test(arguments: [
        (PaymentStatus.received, "ACTC"), (.pendingApproval, "PDNG"), (.approved, "ACSP"), (.scheduled, "ACSP"), (.released, "ACSP"),
        (.settled, "ACSC"), (.rejected, "RJCT"), (.cancelled, "CANC"), (.expired, "RJCT"), (.failed, "RJCT"), (.returned, "RJCT"),
    ])
    func mapsToISO20022(status: PaymentStatus, code: String) {
        #expect(status.iso20022 == code)
    }

    @Test func batchStatusIsDerivedFromItems() {
        #expect(BatchStatus.derive(from: [.settled, .settled]) == .settled)
        #expect(BatchStatus.derive(from: [.settled, .failed]) == .partiallySettled)
        #expect(BatchStatus.derive(from: [.failed, .rejected]) == .failed)
        #expect(BatchStatus.derive(from: [.settled, .released]) == .inProgress)
        #expect(BatchStatus.partiallySettled.iso20022 == "PART")
    }
}

@Suite struct EngineErrorCodeTests {
    /// Result codes are a wire contract: this table changes only by appending.
    @Test func codesAreStableAndDeclaredInCheckOrder() {
        let expected: [(EngineErrorCode, Int)] = [
            (.requestInvalid, 1), (.amountInvalid, 2), (.batchEmpty, 3), (.batchTooLarge, 4), (.serialConflict, 10),
            (.corporationUnknown, 20), (.operatorUnknown, 21), (.operatorNotActive, 22), (.permissionDenied, 23),
            (.accountUnknown, 30), (.accountNotActive, 31), (.currencyMismatch, 32), (.sameAccount, 33), (.valueDateInvalid, 34),
            (.channelNotAllowed, 35), (.limitExceeded, 40), (.insufficientFunds, 41), (.paymentUnknown, 50),
            (.transitionNotAllowed, 51), (.orderDigestMismatch, 52), (.approverIsMaker, 53), (.approverAlreadyActed, 54),
            (.approverNotEligible, 55), (.rejectedByApprover, 56), (.clearingRejected, 60), (.returnedByBeneficiaryBank, 61),
            (.approvalExpired, 70), (.storageFailure, 90),
        ]
        #expect(EngineErrorCode.allCases == expected.map(\.0))
        for (code, number) in expected { #expect(code.rawValue == number, "\(code)") }
        #expect(EngineErrorCode.allCases.map(\.rawValue) == EngineErrorCode.allCases.map(\.rawValue).sorted())
    }
}
