import DirectLinkLedger
import Foundation
import GRDB

extension LedgerWriter {
    // MARK: Approve / reject

    /// Checks, in order: serial shape (1), serial conflict (10), corporation (20), operator (21, 22),
    /// payment (50), still pending approval (51), maker (53), once (54), the level's role (55), a role granting
    /// APPROVE on the debited account (permission), expiry, order digest (52) — nothing about the order itself is
    /// revealed, nor anything written, for an operator who may not decide it.
    func decide(_ command: ApprovalCommand, _ db: Database) throws -> CommandResult {
        let content = "\(command.decision.rawValue)|\(command.payment)|\(command.orderDigest)"
        if let early = try instructionPreamble(corporation: command.corporation, serial: command.serial,
                                               kind: command.decision.rawValue, content: content, payment: command.payment, db) {
            return early
        }
        var refusal: EngineError?
        var target: PaymentRecord?
        if let corporation = corporations[command.corporation] {
            if let profile = corporation.operators[command.operatorId] {
                if profile.status != .active {
                    refusal = EngineError(.operatorNotActive, "operator \(command.operatorId) is \(profile.status.rawValue)")
                } else if !profile.certificateFingerprints.isEmpty,
                          !profile.certificateFingerprints.contains(command.certificateFingerprint.lowercased()) {
                    refusal = EngineError(.permissionDenied, "the signing certificate is not bound to operator \(command.operatorId): bind its SHA-256 fingerprint first")
                }
            } else {
                refusal = EngineError(.operatorUnknown, "operator \(command.operatorId) is not registered for \(command.corporation)")
            }
        } else {
            refusal = EngineError(.corporationUnknown, "corporation \(command.corporation) is not a customer")
        }
        if refusal == nil {
            target = try fetchPayment(command.payment, corporation: command.corporation, db)
            if target == nil { refusal = EngineError(.paymentUnknown, "no such payment of \(command.corporation)") }
        }
        if var record = target, refusal == nil {
            refusal = try applyDecision(command, to: &record, db)
            target = record
        }
        try recordInstruction(corporation: command.corporation, serial: command.serial, kind: command.decision.rawValue,
                              operatorId: command.operatorId, paymentId: target?.id, content: content,
                              orderDigest: command.orderDigest, messageDigest: command.messageDigest,
                              fingerprint: command.certificateFingerprint, error: refusal, db)
        return try instructionResult(serial: command.serial, target: target, error: refusal, replayed: false, db)
    }

    private func applyDecision(_ command: ApprovalCommand, to record: inout PaymentRecord, _ db: Database) throws -> EngineError? {
        guard record.status == .pendingApproval, var flow = record.approval else {
            return EngineError(.transitionNotAllowed, "payment is \(record.status.rawValue), not PENDING_APPROVAL")
        }
        // Who may decide, before anything about the order: the workflow's own refusals (the maker, a second act,
        // the level's role), then the operator's roles must grant deciding (APPROVE) on the debited account.
        let roles = Set(corporations[command.corporation]?.operators[command.operatorId]?.roles ?? [])
        if let refusal = flow.eligibility(of: command.operatorId, roles: roles) { return refusal }
        if let corporation = corporations[command.corporation],
           case .failure(let denied) = corporation.authorise(operatorId: command.operatorId, transactionType: "APPROVE",
                                                             account: record.debitAccount) {
            return denied
        }
        if let expiresAt = record.expiresAt, now >= expiresAt {
            // Due for expiry but housekeeping has not run yet: expire it now rather than approve late.
            try finish(&record, as: .expired, error: EngineError(.approvalExpired, "the approval flow was not finished in time"),
                       detail: "approval expired", db)
            return EngineError(.approvalExpired, "the approval flow expired before this decision")
        }
        guard command.orderDigest == record.orderDigest else {
            return EngineError(.orderDigestMismatch, "the order digest differs from the order that was submitted")
        }
        let act = ApprovalRecord(level: flow.currentLevel, operatorId: command.operatorId, decision: command.decision,
                                 orderDigest: command.orderDigest, messageDigest: command.messageDigest,
                                 certificateFingerprint: command.certificateFingerprint, atEpochSeconds: now)
        if let refusal = flow.act(act, roles: roles) { return refusal }
        record.approval = flow
        switch flow.status {
        case .pending:
            record.updatedAt = now
            try execute(PaymentRecord.updateSQL, record.updateArguments, db)
        case .rejected:
            try finish(&record, as: .rejected, error: EngineError(.rejectedByApprover, "rejected by \(command.operatorId)"),
                       detail: "rejected by \(command.operatorId)", db)
        case .approved:
            try transition(&record, to: .approved, detail: "approved under rule \(flow.ruleId)", db)
            if record.kind == .batch {
                try executeBatchItems(of: record, db)
            } else {
                try executeStored(&record, db)
            }
        }
        return nil
    }

    // MARK: Cancel

    func cancel(_ command: CancelCommand, _ db: Database) throws -> CommandResult {
        let content = "CANCEL|\(command.payment)"
        if let early = try instructionPreamble(corporation: command.corporation, serial: command.serial, kind: "CANCEL",
                                               content: content, payment: command.payment, db) {
            return early
        }
        var refusal: EngineError?
        var target: PaymentRecord?
        if let corporation = corporations[command.corporation] {
            target = try fetchPayment(command.payment, corporation: command.corporation, db)
            if let record = target {
                // The maker may cancel their own payment while active; anyone else needs PAY.CANCEL on the account.
                if record.operatorId == command.operatorId, let maker = corporation.operators[command.operatorId] {
                    if maker.status != .active {
                        refusal = EngineError(.operatorNotActive, "operator \(command.operatorId) is \(maker.status.rawValue)")
                    }
                } else if case .failure(let denied) = corporation.authorise(operatorId: command.operatorId, transactionType: "PAY.CANCEL",
                                                                            account: record.debitAccount) {
                    refusal = denied
                }
            } else {
                refusal = EngineError(.paymentUnknown, "no such payment of \(command.corporation)")
            }
        } else {
            refusal = EngineError(.corporationUnknown, "corporation \(command.corporation) is not a customer")
        }
        if var record = target, refusal == nil {
            if (record.status == .pendingApproval || record.status == .scheduled) && record.kind != .item {
                try finish(&record, as: .cancelled, error: nil, detail: "cancelled by \(command.operatorId)", db)
                target = record
            } else if record.kind == .batch, record.status == .approved,
                      try cancelScheduledItems(of: &record, by: command.operatorId, db) {
                target = record
            } else {
                refusal = EngineError(.transitionNotAllowed, "only payments pending approval or scheduled can be cancelled; this one is \(record.status.rawValue)")
            }
        }
        try recordInstruction(corporation: command.corporation, serial: command.serial, kind: "CANCEL", operatorId: command.operatorId,
                              paymentId: target?.id, content: content, orderDigest: nil, messageDigest: nil, fingerprint: nil,
                              error: refusal, db)
        return try instructionResult(serial: command.serial, target: target, error: refusal, replayed: false, db)
    }

    /// An approved payroll whose items wait for their value date: cancels those items, releasing
    /// their holds and their shares of the batch's limits. Returns false when none was scheduled.
    private func cancelScheduledItems(of batch: inout PaymentRecord, by operatorId: String, _ db: Database) throws -> Bool {
        let items = try Row.fetchAll(try statement("SELECT * FROM payments WHERE batch_id = ? ORDER BY item_number", db),
                                     arguments: [batch.id]).map(PaymentRecord.init(row:))
        var cancelled: [PaymentRecord] = []
        for var item in items where item.status == .scheduled {
            try finish(&item, as: .cancelled, error: nil, detail: "cancelled by \(operatorId)", db)
            cancelled.append(item)
        }
        // Each cancelled item gave back its share of the batch's limits in `finish`.
        return !cancelled.isEmpty
    }

    // MARK: Ending a held payment

    /// Ends a payment (or a whole batch) that holds funds without settling it: REJECTED,
    /// CANCELLED, EXPIRED or FAILED. Releases its hold and the limits it consumed.
    func finish(_ record: inout PaymentRecord, as status: PaymentStatus, error: EngineError?, detail: String, _ db: Database) throws {
        releaseHold(record.holdMinor, on: record.debitAccount)
        record.holdMinor = 0
        try releaseLimits(of: record, db)
        record.limitKeys = []
        record.error = error
        try transition(&record, to: status, detail: detail, db)
        guard record.kind == .batch else { return }
        let items = try Row.fetchAll(try statement("SELECT * FROM payments WHERE batch_id = ? ORDER BY item_number", db),
                                     arguments: [record.id]).map(PaymentRecord.init(row:))
        for var item in items where item.status.canTransition(to: status) {
            item.limitKeys = []  // The batch's own release above gave back the items' shares.
            try finish(&item, as: status, error: error, detail: detail, db)
        }
    }

    // MARK: Instruction serials

    /// Idempotency for approve/reject/cancel: a serial used by a payment is a conflict; a serial
    /// used by an instruction with the same content reports the target payment again.
    func instructionPreamble(corporation: String, serial: String, kind: String, content: String,
                                     payment: PaymentReference, _ db: Database) throws -> CommandResult? {
        if let refusal = serialShapeError(serial) { return refused(serial, refusal) }
        if try fetchPayment(corporation: corporation, serial: serial, db) != nil {
            return refused(serial, EngineError(.serialConflict, "the serial was used by a payment", field: "transactionType"))
        }
        guard let row = try Row.fetchOne(try statement("SELECT * FROM instructions WHERE corporation = ? AND serial = ?", db),
                                         arguments: [corporation, serial]) else { return nil }
        let storedKind: String = row["kind"]
        let storedContent: String = row["content"]
        if storedKind != kind {
            return refused(serial, EngineError(.serialConflict, "the serial was used by a \(storedKind) command", field: "transactionType"))
        }
        if storedContent != content {
            let field = kind == "RULES" ? "rules"
                : storedContent.split(separator: "|").dropFirst().first == content.split(separator: "|").dropFirst().first
                ? "orderDigest" : "payment"
            return refused(serial, EngineError(.serialConflict, "the serial was used for a different \(field)", field: field))
        }
        let target = try (row["payment_id"] as Int64?).flatMap { try fetchPayment(id: $0, db) }
        let error = (row["error_code"] as Int?).flatMap(EngineErrorCode.init(rawValue:)).map { EngineError($0, row["error_reason"] ?? "") }
        return try instructionResult(serial: serial, target: target, error: error, replayed: true, db)
    }

    func recordInstruction(corporation: String, serial: String, kind: String, operatorId: String, paymentId: Int64?,
                                   content: String, orderDigest: String?, messageDigest: String?, fingerprint: String?,
                                   error: EngineError?, _ db: Database) throws {
        try execute("""
            INSERT INTO instructions (corporation, serial, kind, operator_id, payment_id, content, order_digest, message_digest,
                certificate_fingerprint, error_code, error_reason, created_at)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
            """, [corporation, serial, kind, operatorId, paymentId, content, orderDigest, messageDigest, fingerprint,
                  error.map { $0.code.rawValue }, error?.reason, now], db)
    }

    /// An instruction's answer: the target payment's state, and the refusal if the instruction was refused.
    private func instructionResult(serial: String, target: PaymentRecord?, error: EngineError?, replayed: Bool, _ db: Database) throws -> CommandResult {
        guard let target else {
            var result = refused(serial, error ?? EngineError(.paymentUnknown, "no such payment"))
            result.replayed = replayed
            return result
        }
        var result = try self.result(for: target, replayed: replayed, db)
        result.serial = serial
        result.error = error ?? target.error
        return result
    }

    // MARK: Admin-defined rules

    /// Checks: serial shape (1), serial conflict (10), corporation (20), operator (21, 22),
    /// permission `ADMIN.RULES` (23), rules feasible (1). Returns nil when the rules are in force.
    func defineApprovalRules(_ command: DefineApprovalRulesCommand, _ db: Database) throws -> EngineError? {
        // Sorted keys: the content must encode identically every time for the serial comparison.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(command.rules), as: UTF8.self)
        let content = "RULES|" + json
        if let early = try instructionPreamble(corporation: command.corporation, serial: command.serial, kind: "RULES",
                                               content: content, payment: .serial(""), db) {
            guard early.replayed else { return early.error }
            // A resend of the same rules: the original outcome.
            let code = try Int.fetchOne(db, sql: "SELECT error_code FROM instructions WHERE corporation = ? AND serial = ?",
                                        arguments: [command.corporation, command.serial])
            return code.flatMap(EngineErrorCode.init(rawValue:)).map { EngineError($0, early.error?.reason ?? "refused") }
        }
        var refusal: EngineError?
        if let corporation = corporations[command.corporation] {
            if case .failure(let denied) = corporation.authorise(operatorId: command.operatorId, transactionType: "ADMIN.RULES", account: "*") {
                refusal = denied
            } else {
                refusal = rulesError(command.rules, corporation)
            }
        } else {
            refusal = EngineError(.corporationUnknown, "corporation \(command.corporation) is not a customer")
        }
        if refusal == nil {
            try execute("INSERT OR REPLACE INTO approval_rules (corporation, rules_json) VALUES (?, ?)", [command.corporation, json], db)
            approvalRules[command.corporation] = command.rules
        }
        try recordInstruction(corporation: command.corporation, serial: command.serial, kind: "RULES", operatorId: command.operatorId,
                              paymentId: nil, content: content, orderDigest: nil, messageDigest: nil, fingerprint: nil, error: refusal, db)
        return refusal
    }

    private func rulesError(_ rules: [ApprovalRule], _ corporation: CorporationProfile) -> EngineError? {
        guard rules.count <= 100, Set(rules.map(\.id)).count == rules.count else {
            return EngineError(.requestInvalid, "at most 100 rules, each with its own id", field: "rules")
        }
        for rule in rules {
            guard !rule.levels.isEmpty, rule.levels.count <= 10 else {
                return EngineError(.requestInvalid, "rule \(rule.id) needs 1 to 10 levels", field: "rules")
            }
            for level in rule.levels {
                let holders = corporation.operators.values.filter { $0.status == .active && $0.roles.contains(level.role) }.count
                guard level.required >= 1, level.required <= holders else {
                    return EngineError(.requestInvalid, "rule \(rule.id) needs \(level.required) of role \(level.role), which \(holders) active operators hold",
                                       field: "rules")
                }
            }
        }
        return nil
    }

    // MARK: Pre-validation

    func preValidate(_ order: PaymentOrder, _ db: Database) throws -> PreValidation {
        var error = serialShapeError(order.serial)
        if error == nil, let existing = try fetchPayment(corporation: order.corporation, serial: order.serial, db) {
            error = EngineError(.serialConflict, "the serial is already used", field: differingField(existing, order) ?? "serial")
        }
        let evaluation = try evaluate(order, dryRun: true, db)
        return PreValidation(error: error ?? evaluation.error, channel: evaluation.channel, approvalRuleId: evaluation.rule?.id,
                             approvalLevels: evaluation.rule?.levels ?? [], limits: evaluation.headroom,
                             fundsSufficient: evaluation.fundsSufficient)
    }
}
