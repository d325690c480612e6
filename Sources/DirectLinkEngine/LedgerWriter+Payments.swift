import DirectLinkLedger
import GRDB

/// What a payment that passed every check will do.
struct PaymentPlan {
    var channel: Channel
    var rule: ApprovalRule?
    var consumptions: [LimitConsumption]
    var beneficiaryIsNew: Bool
}

/// Everything the checks learned, for pre-validation as well as submission.
struct PaymentEvaluation {
    var error: EngineError?
    var channel: Channel?
    var rule: ApprovalRule?
    var headroom: [LimitHeadroom] = []
    var fundsSufficient = false
    var plan: PaymentPlan?
}

extension LedgerWriter {
    var ownBankCode: String { configuration.routing.ownBankCode }

    // MARK: Submission

    func submit(_ order: PaymentOrder, _ db: Database) throws -> CommandResult {
        if let refusal = serialShapeError(order.serial) { return refused(order.serial, refusal) }
        if let owner = try serialOwner(corporation: order.corporation, serial: order.serial, db) {
            guard owner > 0, let existing = try fetchPayment(id: owner, db) else {
                return refused(order.serial, EngineError(.serialConflict, "the serial was used by another command", field: "transactionType"))
            }
            if let field = differingField(existing, order) {
                return refused(order.serial, EngineError(.serialConflict, "the serial was used with a different \(field)", field: field))
            }
            return try result(for: existing, replayed: true, db)
        }
        var record = PaymentRecord(
            corporation: order.corporation, serial: order.serial, kind: .single, transactionType: order.transactionType,
            operatorId: order.operatorId, accessChannel: order.accessChannel, debitAccount: order.debitAccount,
            creditAccount: order.creditAccount, payeeName: order.payeeName, payeeBank: order.payeeBankCode ?? ownBankCode,
            amount: order.amount, requestedChannel: order.requestedChannel, urgent: order.urgent, valueDate: order.valueDate,
            memo: order.memo, contentDigest: nil, orderDigest: order.orderDigest, acceptedDate: today, now: now)
        let evaluation = try evaluate(order, dryRun: false, db)
        guard let plan = evaluation.plan else {
            record.status = .failed
            record.error = evaluation.error
            try insert(&record, events: [(.received, .failed, evaluation.error?.reason ?? "refused")], db)
            return try result(for: record, replayed: false, db)
        }
        record.channel = plan.channel
        record.limitKeys = plan.consumptions.map(\.usageKey)
        consume(plan.consumptions)
        if plan.beneficiaryIsNew { try rememberBeneficiary(order.corporation, order.creditAccount, db) }
        if let rule = plan.rule {
            record.approval = ApprovalFlow(rule: rule, maker: order.operatorId)
            record.expiresAt = now + configuration.bounds.approvalTimeToLiveSeconds
            record.status = .pendingApproval
            record.holdMinor = order.amount.minorUnits
            hold(order.amount.minorUnits, on: order.debitAccount)
            try insert(&record, events: [(.received, .pendingApproval, "approval rule \(rule.id)")], db)
        } else {
            try executeNew(&record, events: [(.received, .approved, "no approval rule applies")], db)
        }
        return try result(for: record, replayed: false, db)
    }

    /// Inserts a payment that needs no approval and carries it as far as it goes now:
    /// settled (intra-bank, due today), released to clearing, or scheduled.
    func executeNew(_ record: inout PaymentRecord, events: [(PaymentStatus?, PaymentStatus, String)], _ db: Database) throws {
        var events = events
        if let valueDate = record.valueDate, valueDate > today {
            record.status = .scheduled
            record.holdMinor = record.amount.minorUnits
            hold(record.amount.minorUnits, on: record.debitAccount)
            events.append((.approved, .scheduled, "value date \(valueDate)"))
            try insert(&record, events: events, db)
        } else if record.channel == .internal {
            record.status = .settled
            events.append((.approved, .settled, "settled internally"))
            try insert(&record, events: events, db)
            try post(PostingSet.transfer(from: record.debitAccount, to: record.creditAccount, amount: record.amount),
                     paymentId: record.id, counterparties: [record.creditAccount, record.debitAccount], memo: record.memo, db)
        } else {
            record.status = .released
            record.holdMinor = record.amount.minorUnits
            hold(record.amount.minorUnits, on: record.debitAccount)
            events.append((.approved, .released, "sent to \(record.channel?.rawValue ?? "clearing")"))
            try insert(&record, events: events, db)
        }
    }

    /// Carries a stored, held payment that has just become APPROVED (or whose value date has come)
    /// to SETTLED (intra-bank), RELEASED (inter-bank) or SCHEDULED (future value date).
    func executeStored(_ record: inout PaymentRecord, _ db: Database) throws {
        if let valueDate = record.valueDate, valueDate > today {
            if record.status != .scheduled { try transition(&record, to: .scheduled, detail: "value date \(valueDate)", db) }
        } else if record.channel == .internal {
            releaseHold(record.holdMinor, on: record.debitAccount)
            record.holdMinor = 0
            try transition(&record, to: .settled, detail: "settled internally", db)
            try post(PostingSet.transfer(from: record.debitAccount, to: record.creditAccount, amount: record.amount),
                     paymentId: record.id, counterparties: [record.creditAccount, record.debitAccount], memo: record.memo, db)
        } else {
            try transition(&record, to: .released, detail: "sent to \(record.channel?.rawValue ?? "clearing")", db)
        }
    }

    // MARK: Checks, in the documented order

    func evaluate(_ order: PaymentOrder, dryRun: Bool, _ db: Database) throws -> PaymentEvaluation {
        var evaluation = PaymentEvaluation()
        if let refusal = textShapeError(order.payeeName, "payeeName") ?? textShapeError(order.memo, "memo")
            ?? (order.amount.minorUnits > 0 ? nil : EngineError(.amountInvalid, "amount must be positive")) {
            evaluation.error = refusal
            return evaluation
        }
        guard let corporation = corporations[order.corporation] else {
            evaluation.error = EngineError(.corporationUnknown, "corporation \(order.corporation) is not a customer")
            return evaluation
        }
        if case .failure(let refusal) = corporation.authorise(operatorId: order.operatorId, transactionType: order.transactionType, account: order.debitAccount,
                                                           certificateFingerprint: order.certificateFingerprint) {
            evaluation.error = refusal
            return evaluation
        }
        let payeeIsInternal = (order.payeeBankCode ?? ownBankCode) == ownBankCode
        if let refusal = accountError(order, payeeIsInternal: payeeIsInternal) ?? valueDateError(order.valueDate) {
            evaluation.error = refusal
            return evaluation
        }
        // A future-dated payment is routed as of its value date's HVPS opening, when it will be sent.
        let routingInstant = order.valueDate.map { $0 > today
            ? ShanghaiTime.startOfDay($0) + Int64(configuration.routing.hvpsOpenMinute * 60) : now } ?? now
        let routing = router.route(RoutingRequest(payeeIsInternal: payeeIsInternal, amountMinor: order.amount.minorUnits,
                                                  urgent: order.urgent, requested: order.requestedChannel), atEpochSeconds: routingInstant)
        let channel: Channel
        switch routing {
        case .failure(let refusal):
            evaluation.error = refusal
            return evaluation
        case .success(let chosen):
            channel = chosen
        }
        evaluation.channel = channel
        let subject = LimitSubject(accessChannel: order.accessChannel, corporation: order.corporation, account: order.debitAccount,
                                   operatorId: order.operatorId, transactionType: order.transactionType, amount: order.amount)
        let beneficiaryIsNew = try isNewBeneficiary(order.corporation, order.creditAccount, db)
        let approvalSubject = ApprovalSubject(transactionType: order.transactionType, amountMinor: order.amount.minorUnits,
                                              account: order.debitAccount, beneficiaryIsNew: beneficiaryIsNew)
        evaluation.rule = approvalRule(for: approvalSubject, in: approvalRules[order.corporation] ?? [])
        evaluation.fundsSufficient = accounts[order.debitAccount]?.canCommit(order.amount.minorUnits) ?? false
        let ruleIndices = try loadUsage(for: subject, db)
        if dryRun {
            evaluation.headroom = limitBook.headroom(for: subject, on: today) { cachedUsage($0) }
        }
        let consumptions: [LimitConsumption]
        switch limitBook.check(subject, indices: ruleIndices, keys: limitKeysToday, usageOfRule: { usageOfRule($0) }) {
        case .failure(let refusal):
            evaluation.error = refusal
            return evaluation
        case .success(let consumed):
            consumptions = consumed
        }
        guard evaluation.fundsSufficient else {
            evaluation.error = EngineError(.insufficientFunds, "available balance and overdraft line do not cover \(order.amount.decimalText)")
            return evaluation
        }
        evaluation.plan = PaymentPlan(channel: channel, rule: evaluation.rule, consumptions: consumptions, beneficiaryIsNew: beneficiaryIsNew)
        return evaluation
    }

    /// Checks 30–33 for the debit account and, for an intra-bank payee, the credit account.
    func accountError(_ order: PaymentOrder, payeeIsInternal: Bool) -> EngineError? {
        guard let debit = accounts[order.debitAccount], accountInfo[order.debitAccount]?.corporation == order.corporation else {
            return EngineError(.accountUnknown, "debit account is not an account of \(order.corporation)")
        }
        guard debit.status == .active else {
            return EngineError(.accountNotActive, "debit account is \(debit.status.rawValue)")
        }
        if payeeIsInternal {
            guard let credit = accounts[order.creditAccount], credit.kind != .bankInternal else {
                return EngineError(.accountUnknown, "payee account does not exist at our bank")
            }
            guard credit.status == .active else {
                return EngineError(.accountNotActive, "payee account is \(credit.status.rawValue)")
            }
            guard credit.currency == order.amount.currency else {
                return EngineError(.currencyMismatch, "payee account is in \(credit.currency.code), not \(order.amount.currency.code)")
            }
        }
        guard debit.currency == order.amount.currency else {
            return EngineError(.currencyMismatch, "debit account is in \(debit.currency.code), not \(order.amount.currency.code)")
        }
        guard !(payeeIsInternal && order.creditAccount == order.debitAccount) else {
            return EngineError(.sameAccount, "debit and credit account are the same")
        }
        return nil
    }

    func valueDateError(_ valueDate: BusinessDate?) -> EngineError? {
        guard let valueDate else { return nil }
        if valueDate < today { return EngineError(.valueDateInvalid, "value date \(valueDate) is in the past (today is \(today))") }
        if valueDate > today.adding(days: configuration.bounds.valueDateDaysAheadMax) {
            return EngineError(.valueDateInvalid, "value date is more than \(configuration.bounds.valueDateDaysAheadMax) days ahead")
        }
        return nil
    }

    func serialShapeError(_ serial: String) -> EngineError? {
        let bytes = serial.utf8
        guard !bytes.isEmpty, bytes.count <= configuration.bounds.serialBytesMax,
              bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return EngineError(.requestInvalid, "serial must be 1 to \(configuration.bounds.serialBytesMax) printable ASCII characters", field: "serial")
        }
        return nil
    }

    func textShapeError(_ text: String, _ field: String) -> EngineError? {
        text.utf8.count <= configuration.bounds.textBytesMax ? nil
            : EngineError(.requestInvalid, "\(field) is longer than \(configuration.bounds.textBytesMax) bytes", field: field)
    }

    /// The first field in which a resent order differs from the stored one, TigerBeetle-style.
    func differingField(_ record: PaymentRecord, _ order: PaymentOrder) -> String? {
        if record.kind != .single || record.transactionType != order.transactionType { return "transactionType" }
        if record.debitAccount != order.debitAccount { return "debitAccount" }
        if record.creditAccount != order.creditAccount { return "creditAccount" }
        if record.payeeBank != (order.payeeBankCode ?? ownBankCode) { return "payeeBankCode" }
        if record.payeeName != order.payeeName { return "payeeName" }
        if record.amount.currency != order.amount.currency { return "currency" }
        if record.amount.minorUnits != order.amount.minorUnits { return "amount" }
        if record.requestedChannel != order.requestedChannel { return "requestedChannel" }
        if record.urgent != order.urgent { return "urgent" }
        if record.valueDate != order.valueDate { return "valueDate" }
        if record.memo != order.memo { return "memo" }
        return nil
    }

    // MARK: Results

    func refused(_ serial: String, _ error: EngineError) -> CommandResult {
        CommandResult(bankReference: nil, serial: serial, status: .failed, iso20022: "RJCT", isFinal: true, channel: nil,
                      error: error, replayed: false, batchStatus: nil, items: [])
    }

    func result(for record: PaymentRecord, replayed: Bool, _ db: Database) throws -> CommandResult {
        var result = CommandResult(bankReference: record.bankReference, serial: record.serial ?? "", status: record.status,
                                   iso20022: record.iso20022, isFinal: record.status.isFinal, channel: record.channel,
                                   error: record.error, replayed: replayed, batchStatus: nil, items: [])
        if record.kind == .batch {
            let items = try Row.fetchAll(try statement("SELECT * FROM payments WHERE batch_id = ? ORDER BY item_number", db),
                                         arguments: [record.id]).map(PaymentRecord.init(row:))
            result.items = items.map { $0.itemResult() }
            if record.status == .approved || record.status == .failed && !items.isEmpty {
                let derived = BatchStatus.derive(from: items.map(\.status))
                result.batchStatus = derived
                result.iso20022 = derived.iso20022
                result.isFinal = derived != .inProgress
            }
        }
        return result
    }
}
