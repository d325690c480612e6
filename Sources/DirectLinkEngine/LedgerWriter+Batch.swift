import DirectLinkLedger
import GRDB

extension LedgerWriter {
    /// A payroll batch. Whole-batch checks (shape, serial, corporation, operator, debit account,
    /// value date, limits on the total of valid items) fail the batch; item checks (payee account,
    /// currency, routing, funds) fail only that item. Approval applies to the batch as a whole.
    func submit(_ batch: BatchOrder, _ db: Database) throws -> CommandResult {
        if let refusal = serialShapeError(batch.serial) { return refused(batch.serial, refusal) }
        let digest = Self.itemsDigest(batch.items)
        if let existing = try fetchPayment(corporation: batch.corporation, serial: batch.serial, db) {
            let field: String? = existing.kind != .batch || existing.transactionType != batch.transactionType ? "transactionType"
                : existing.debitAccount != batch.debitAccount ? "debitAccount"
                : existing.contentDigest != digest ? "items"
                : existing.valueDate != batch.valueDate ? "valueDate" : nil
            if let field {
                return refused(batch.serial, EngineError(.serialConflict, "the serial was used with different \(field)", field: field))
            }
            return try result(for: existing, replayed: true, db)
        }
        if try instructionKind(corporation: batch.corporation, serial: batch.serial, db) != nil {
            return refused(batch.serial, EngineError(.serialConflict, "the serial was used by another command", field: "transactionType"))
        }
        let debitCurrency = accounts[batch.debitAccount]?.currency ?? .cny
        var record = PaymentRecord(
            corporation: batch.corporation, serial: batch.serial, kind: .batch, transactionType: batch.transactionType,
            operatorId: batch.operatorId, accessChannel: batch.accessChannel, debitAccount: batch.debitAccount,
            creditAccount: "", payeeName: "\(batch.items.count) items", payeeBank: ownBankCode, amount: .zero(debitCurrency),
            requestedChannel: nil, urgent: false, valueDate: batch.valueDate, memo: "", contentDigest: digest,
            orderDigest: batch.orderDigest, acceptedDate: today, now: now)
        let itemErrors = batch.items.map { itemError($0, batch) }
        let channels = batch.items.map { item in
            try? router.route(RoutingRequest(payeeIsInternal: (item.payeeBankCode ?? ownBankCode) == ownBankCode,
                                             amountMinor: item.amount.minorUnits, urgent: false, requested: nil), atEpochSeconds: now).get()
        }
        var total = Money.zero(debitCurrency)
        var batchError = batchShapeError(batch)
        for (index, item) in batch.items.enumerated() where itemErrors[index] == nil && batchError == nil {
            guard let sum = total.adding(item.amount) else {
                batchError = EngineError(.amountInvalid, "the batch total overflows")
                break
            }
            total = sum
        }
        record.amount = total
        var plan: (rule: ApprovalRule?, consumptions: [LimitConsumption])?
        if batchError == nil {
            switch try batchChecks(batch, total: total, db) {
            case .failure(let refusal): batchError = refusal
            case .success(let checked): plan = checked
            }
        }
        guard let plan, batchError == nil else {
            record.status = .failed
            record.error = batchError
            try insert(&record, events: [(.received, .failed, batchError?.reason ?? "refused")], db)
            return try result(for: record, replayed: false, db)
        }
        record.limitKeys = plan.consumptions.map(\.usageKey)
        consume(plan.consumptions)
        if let rule = plan.rule {
            record.approval = ApprovalFlow(rule: rule, maker: batch.operatorId)
            record.expiresAt = now + configuration.bounds.approvalTimeToLiveSeconds
            record.status = .pendingApproval
            try insert(&record, events: [(.received, .pendingApproval, "approval rule \(rule.id)")], db)
        } else {
            record.status = .approved
            try insert(&record, events: [(.received, .approved, "no approval rule applies")], db)
        }
        try insertItems(of: record, batch, channels: channels, itemErrors: itemErrors, db)
        return try result(for: record, replayed: false, db)
    }

    /// One row per item: failed with its own error, held pending the batch's approval, or executed now.
    private func insertItems(of record: PaymentRecord, _ batch: BatchOrder, channels: [Channel?], itemErrors: [EngineError?],
                             _ db: Database) throws {
        let staticallyValid = itemErrors.map { $0 == nil }
        var itemErrors = itemErrors
        for (index, item) in batch.items.enumerated() {
            var itemRecord = PaymentRecord(
                corporation: batch.corporation, serial: nil, kind: .item, batchId: record.id, itemNumber: index + 1,
                transactionType: batch.transactionType, operatorId: batch.operatorId, accessChannel: batch.accessChannel,
                debitAccount: batch.debitAccount, creditAccount: item.creditAccount, payeeName: item.payeeName,
                payeeBank: item.payeeBankCode ?? ownBankCode, amount: item.amount, requestedChannel: nil, urgent: false,
                valueDate: batch.valueDate, memo: item.memo, contentDigest: nil, orderDigest: batch.orderDigest,
                acceptedDate: today, now: now)
            itemRecord.channel = channels[index]
            if itemErrors[index] == nil, channels[index] == nil {
                itemErrors[index] = EngineError(.channelNotAllowed, "no clearing channel takes this item")
            }
            if itemErrors[index] == nil, accounts[batch.debitAccount]?.canCommit(item.amount.minorUnits) != true {
                itemErrors[index] = EngineError(.insufficientFunds, "funds ran out at item \(index + 1)")
            }
            // Items that passed the static checks were counted in the batch's total: they carry its buckets.
            let counted = staticallyValid[index]
            if counted { itemRecord.limitKeys = record.limitKeys }
            if let refusal = itemErrors[index] {
                itemRecord.status = .failed
                itemRecord.error = refusal
                if counted {
                    try releaseLimits(of: itemRecord, db)  // refused for funds after the total was consumed
                    itemRecord.limitKeys = []
                }
                try insert(&itemRecord, events: [(.received, .failed, refusal.reason)], db)
            } else if record.status == .pendingApproval {
                itemRecord.status = .pendingApproval
                itemRecord.holdMinor = item.amount.minorUnits
                hold(item.amount.minorUnits, on: batch.debitAccount)
                try insert(&itemRecord, events: [(.received, .pendingApproval, "batch awaits approval")], db)
            } else {
                try executeNew(&itemRecord, events: [(.received, .approved, "batch needs no approval")], db)
            }
        }
    }

    /// The checks `submit(_: BatchOrder)` makes, without writing anything.
    func preValidate(_ batch: BatchOrder, _ db: Database) throws -> BatchPreValidation {
        var error = serialShapeError(batch.serial) ?? batchShapeError(batch)
        if error == nil, try serialOwner(corporation: batch.corporation, serial: batch.serial, db) != nil {
            error = EngineError(.serialConflict, "the serial is already used", field: "serial")
        }
        var items: [EngineError?] = batch.items.map { item in
            itemError(item, batch) ?? ((try? router.route(RoutingRequest(
                payeeIsInternal: (item.payeeBankCode ?? ownBankCode) == ownBankCode, amountMinor: item.amount.minorUnits,
                urgent: false, requested: nil), atEpochSeconds: now).get()) == nil
                ? EngineError(.channelNotAllowed, "no clearing channel takes this item") : nil)
        }
        var total: Int64 = 0
        for (index, item) in batch.items.enumerated() where items[index] == nil {
            let (sum, overflow) = total.addingReportingOverflow(item.amount.minorUnits)
            if overflow { error = error ?? EngineError(.amountInvalid, "the batch total overflows") } else { total = sum }
        }
        let currency = accounts[batch.debitAccount]?.currency ?? .cny
        if error == nil, case .failure(let refusal) = try batchChecks(batch, total: Money(minorUnits: total, currency: currency), db) {
            error = refusal
        }
        let subject = LimitSubject(accessChannel: batch.accessChannel, corporation: batch.corporation, account: batch.debitAccount,
                                   operatorId: batch.operatorId, transactionType: batch.transactionType,
                                   amount: Money(minorUnits: total, currency: currency))
        let rule = approvalRule(for: ApprovalSubject(transactionType: batch.transactionType, amountMinor: total,
                                                     account: batch.debitAccount, beneficiaryIsNew: false),
                                in: approvalRules[batch.corporation] ?? [])
        // Funds are allotted in item order, as submission would hold them.
        if let debit = accounts[batch.debitAccount] {
            var room = debit.kind == .bankInternal ? Int64.max : debit.availableMinor + debit.overdraftMinor
            for (index, item) in batch.items.enumerated() where items[index] == nil {
                if item.amount.minorUnits <= room { room -= item.amount.minorUnits } else {
                    items[index] = EngineError(.insufficientFunds, "funds run out at item \(index + 1)")
                }
            }
        }
        return BatchPreValidation(error: error, approvalRuleId: rule?.id, approvalLevels: rule?.levels ?? [],
                                  limits: limitBook.headroom(for: subject, on: today) { cachedUsage($0) }, totalMinor: total, items: items)
    }

    /// After a batch is approved: carries each item pending approval forward.
    func executeBatchItems(of batch: PaymentRecord, _ db: Database) throws {
        let items = try Row.fetchAll(try statement("SELECT * FROM payments WHERE batch_id = ? ORDER BY item_number", db),
                                     arguments: [batch.id]).map(PaymentRecord.init(row:))
        for var item in items where item.status == .pendingApproval {
            try transition(&item, to: .approved, detail: "batch approved", db)
            try executeStored(&item, db)
        }
    }

    private func batchShapeError(_ batch: BatchOrder) -> EngineError? {
        if batch.items.isEmpty { return EngineError(.batchEmpty, "a batch needs at least one item") }
        if batch.items.count > configuration.bounds.batchItemsMax {
            return EngineError(.batchTooLarge, "a batch holds at most \(configuration.bounds.batchItemsMax) items, this one \(batch.items.count)")
        }
        return nil
    }

    private func batchChecks(_ batch: BatchOrder, total: Money, _ db: Database) throws -> Result<(rule: ApprovalRule?, consumptions: [LimitConsumption]), EngineError> {
        guard let corporation = corporations[batch.corporation] else {
            return .failure(EngineError(.corporationUnknown, "corporation \(batch.corporation) is not a customer"))
        }
        if case .failure(let refusal) = corporation.authorise(operatorId: batch.operatorId, transactionType: batch.transactionType, account: batch.debitAccount,
                                                           certificateFingerprint: batch.certificateFingerprint) {
            return .failure(refusal)
        }
        guard let debit = accounts[batch.debitAccount], accountInfo[batch.debitAccount]?.corporation == batch.corporation else {
            return .failure(EngineError(.accountUnknown, "debit account is not an account of \(batch.corporation)"))
        }
        guard debit.status == .active else { return .failure(EngineError(.accountNotActive, "debit account is \(debit.status.rawValue)")) }
        if let refusal = valueDateError(batch.valueDate) { return .failure(refusal) }
        guard total.minorUnits > 0 else {
            return .failure(EngineError(.accountUnknown, "no item of the batch has a valid payee"))
        }
        let subject = LimitSubject(accessChannel: batch.accessChannel, corporation: batch.corporation, account: batch.debitAccount,
                                   operatorId: batch.operatorId, transactionType: batch.transactionType, amount: total)
        let consumptions: [LimitConsumption]
        let ruleIndices = try loadUsage(for: subject, db)
        switch limitBook.check(subject, indices: ruleIndices, keys: limitKeysToday, usageOfRule: { usageOfRule($0) }) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let consumed): consumptions = consumed
        }
        let rule = approvalRule(for: ApprovalSubject(transactionType: batch.transactionType, amountMinor: total.minorUnits,
                                                     account: batch.debitAccount, beneficiaryIsNew: false),
                                in: approvalRules[batch.corporation] ?? [])
        return .success((rule, consumptions))
    }

    private func itemError(_ item: BatchItem, _ batch: BatchOrder) -> EngineError? {
        if let refusal = textShapeError(item.payeeName, "payeeName") ?? textShapeError(item.memo, "memo") { return refusal }
        guard item.amount.minorUnits > 0 else { return EngineError(.amountInvalid, "item amount must be positive") }
        guard let debit = accounts[batch.debitAccount], debit.currency == item.amount.currency else {
            return EngineError(.currencyMismatch, "item currency differs from the debit account's")
        }
        guard (item.payeeBankCode ?? ownBankCode) == ownBankCode else { return nil }
        guard let credit = accounts[item.creditAccount], credit.kind != .bankInternal else {
            return EngineError(.accountUnknown, "payee account does not exist at our bank")
        }
        guard credit.status == .active else { return EngineError(.accountNotActive, "payee account is \(credit.status.rawValue)") }
        guard credit.currency == item.amount.currency else { return EngineError(.currencyMismatch, "payee account is in \(credit.currency.code)") }
        guard item.creditAccount != batch.debitAccount else { return EngineError(.sameAccount, "item pays the debit account itself") }
        return nil
    }

    /// FNV-1a over the items' fields: detects a resent batch whose items differ. Not a security digest
    /// (the signed order's SHA-256 is `orderDigest`).
    static func itemsDigest(_ items: [BatchItem]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            hash ^= 0x1F
            hash = hash &* 0x0000_0100_0000_01B3
        }
        for item in items {
            mix(item.creditAccount); mix(item.payeeName); mix(item.payeeBankCode ?? ""); mix(item.memo)
            mix(item.amount.currency.code); mix(String(item.amount.minorUnits))
        }
        return String(hash, radix: 16) + "/" + String(items.count)
    }
}
