import DirectLinkLedger
import GRDB

extension LedgerWriter {
    /// Expiry, due scheduled payments, and one clearing cycle; each step at most
    /// `housekeepingRowsMax` payments so one run never holds the writer for long.
    func housekeeping(_ db: Database) throws -> HousekeepingReport {
        var report = HousekeepingReport()
        let rowsMax = configuration.bounds.housekeepingRowsMax
        let open = "(status IN ('PENDING_APPROVAL', 'SCHEDULED', 'RELEASED') OR return_pending = 1)"

        for id in try Int64.fetchAll(db, sql: """
            SELECT id FROM payments WHERE \(open) AND status = 'PENDING_APPROVAL' AND expires_at <= ? ORDER BY id LIMIT ?
            """, arguments: [now, rowsMax]) {
            guard var record = try fetchPayment(id: id, db), record.status == .pendingApproval else { continue }
            try finish(&record, as: .expired, error: EngineError(.approvalExpired, "the approval flow was not finished in time"),
                       detail: "approval expired", db)
            report.expired += 1
        }

        // Scheduled HVPS payments wait for the HVPS window on their value date.
        let hvpsOpen = router.hvpsIsOpen(atEpochSeconds: now)
        for id in try Int64.fetchAll(db, sql: """
            SELECT id FROM payments WHERE \(open) AND status = 'SCHEDULED' AND value_date <= ?
            AND (channel IS NOT 'HVPS' OR ?) ORDER BY id LIMIT ?
            """, arguments: [today.description, hvpsOpen, rowsMax]) {
            guard var record = try fetchPayment(id: id, db), record.status == .scheduled else { continue }
            try executeStored(&record, db)
            report.releasedFromSchedule += 1
        }

        // Returns reported in an earlier cycle come back now (a later event than the settlement).
        for id in try Int64.fetchAll(db, sql: """
            SELECT id FROM payments WHERE \(open) AND return_pending = 1 AND status = 'SETTLED' ORDER BY id LIMIT ?
            """, arguments: [rowsMax]) {
            guard var record = try fetchPayment(id: id, db) else { continue }
            try returnSettled(&record, db)
            report.returned += 1
        }

        for id in try Int64.fetchAll(db, sql: """
            SELECT id FROM payments WHERE \(open) AND status = 'RELEASED' ORDER BY id LIMIT ?
            """, arguments: [rowsMax]) {
            guard var record = try fetchPayment(id: id, db), record.status == .released else { continue }
            if try clear(&record, db) { report.settled += 1 } else { report.failed += 1 }
        }
        return report
    }

    func clearingAccount(for channel: Channel?) -> String {
        guard let channel, let account = configuration.seed.clearingAccounts[channel.rawValue] else {
            preconditionFailure("only inter-bank payments, routed to a channel with a validated clearing account, are cleared")
        }
        return account
    }

    private func instruction(for record: PaymentRecord) -> ClearingInstruction {
        ClearingInstruction(bankReference: record.bankReference, channel: record.channel ?? .beps, payeeBankCode: record.payeeBank,
                            payeeAccount: record.creditAccount, amount: record.amount)
    }

    /// Applies the clearing system's outcome to a RELEASED payment; returns whether it settled.
    private func clear(_ record: inout PaymentRecord, _ db: Database) throws -> Bool {
        switch clearing.outcome(of: instruction(for: record)) {
        case .rejected(let reason):
            try finish(&record, as: .failed, error: EngineError(.clearingRejected, reason), detail: "clearing rejected: \(reason)", db)
            return false
        case .settled:
            try settleCleared(&record, returnLater: false, db)
            return true
        case .settledThenReturned:
            try settleCleared(&record, returnLater: true, db)
            return true
        }
    }

    private func settleCleared(_ record: inout PaymentRecord, returnLater: Bool, _ db: Database) throws {
        releaseHold(record.holdMinor, on: record.debitAccount)
        record.holdMinor = 0
        record.returnPending = returnLater
        try transition(&record, to: .settled, detail: "settled by \(record.channel?.rawValue ?? "clearing")", db)
        try post(PostingSet.transfer(from: record.debitAccount, to: clearingAccount(for: record.channel), amount: record.amount),
                 paymentId: record.id, counterparties: [record.creditAccount, record.debitAccount], memo: record.memo, db)
    }

    /// 退票: the beneficiary bank sent a settled payment back; the funds are credited back as a new event.
    private func returnSettled(_ record: inout PaymentRecord, _ db: Database) throws {
        let reason: String
        if case .settledThenReturned(let why) = clearing.outcome(of: instruction(for: record)) { reason = why } else { reason = "returned" }
        record.returnPending = false
        record.error = EngineError(.returnedByBeneficiaryBank, reason)
        try releaseLimits(of: record, db)
        record.limitKeys = []
        try transition(&record, to: .returned, detail: "returned: \(reason)", db)
        try post(PostingSet.transfer(from: clearingAccount(for: record.channel), to: record.debitAccount, amount: record.amount),
                 paymentId: record.id, counterparties: [record.creditAccount, record.creditAccount], memo: "退票 " + record.memo, db)
    }
}
