/// Stable engine result codes, declared in the order the engine checks them. Numbers are
/// never reused or renumbered; docs/engine.md says what each means and what to do.
public enum EngineErrorCode: Int, Sendable, Codable, CaseIterable {
    // Shape of the request (no state consulted).
    /// Malformed request: serial missing, too long or not printable ASCII; text too long; infeasible rules; bad continuation token.
    case requestInvalid = 1
    /// Amount not a positive decimal with at most 2 decimals and 13 integer digits, or a batch total overflows.
    case amountInvalid = 2
    /// A payroll batch without items.
    case batchEmpty = 3
    /// A payroll batch with more than `batchItemsMax` items.
    case batchTooLarge = 4
    // Idempotency: the serial exists with different content.
    /// The serial exists with different content; `field` names the first difference. Not recorded.
    case serialConflict = 10
    // Who is asking.
    /// The corporation is not a customer.
    case corporationUnknown = 20
    /// The operator is not registered for the corporation.
    case operatorUnknown = 21
    /// The operator is suspended.
    case operatorNotActive = 22
    /// No role grants the transaction type or account, or the certificate is not bound to the operator.
    case permissionDenied = 23
    // What they ask about.
    /// Debit account not the corporation's, or an intra-bank payee account that does not exist.
    case accountUnknown = 30
    /// Account frozen or closed.
    case accountNotActive = 31
    /// The amount's currency differs from an account's.
    case currencyMismatch = 32
    /// Debit and credit account are the same.
    case sameAccount = 33
    /// Value date in the past or beyond `valueDateDaysAheadMax`.
    case valueDateInvalid = 34
    /// The requested (or any) clearing channel is not allowed now; the reason says why.
    case channelNotAllowed = 35
    // Money.
    /// A limit rule refused; `ruleId` names it and `headroom` says what it still allows.
    case limitExceeded = 40
    /// Available balance plus overdraft line does not cover the amount.
    case insufficientFunds = 41
    // Later commands on an existing payment.
    /// No such payment of this corporation.
    case paymentUnknown = 50
    /// The payment's state does not allow this command (e.g. cancel after release).
    case transitionNotAllowed = 51
    /// The approver named a different order digest than the one submitted.
    case orderDigestMismatch = 52
    /// The maker cannot approve or reject their own payment.
    case approverIsMaker = 53
    /// One person acts once on a payment.
    case approverAlreadyActed = 54
    /// The approver lacks the current level's role.
    case approverNotEligible = 55
    /// Not a refusal of the command: the outcome of a payment an approver rejected.
    case rejectedByApprover = 56
    // Outcomes reported by clearing.
    /// Outcome: clearing refused the payment; its hold was released.
    case clearingRejected = 60
    /// Outcome: returned after settlement (退票); funds credited back.
    case returnedByBeneficiaryBank = 61
    // Time-driven outcomes.
    /// Outcome: the approval flow was not finished in time; hold and limits released.
    case approvalExpired = 70
    // Bugs or the machine: never a business answer; safe to retry with the same serial.
    /// The transaction did not commit; nothing was applied. Resending with the same serial is safe.
    case storageFailure = 90
}

/// A domain error: a stable code, a human reason, and the structured details a client needs
/// to act (the differing field of a serial conflict, the limit rule and its headroom).
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    public let code: EngineErrorCode
    public let reason: String
    /// For `serialConflict`: the first field whose value differs from the original command.
    public var field: String?
    /// For `limitExceeded`: the rule that refused, and what it still allows (minor units, or a count).
    public var ruleId: String?
    public var headroom: Int64?

    public init(_ code: EngineErrorCode, _ reason: String, field: String? = nil, ruleId: String? = nil, headroom: Int64? = nil) {
        self.code = code
        self.reason = reason
        self.field = field
        self.ruleId = ruleId
        self.headroom = headroom
    }

    public var description: String { "\(code)(\(code.rawValue)): \(reason)" }
}
