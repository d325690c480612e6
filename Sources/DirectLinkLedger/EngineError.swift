/// Stable engine result codes, declared in the order the engine checks them. Numbers are
/// never reused or renumbered; docs/engine.md says what each means and what to do.
public enum EngineErrorCode: Int, Sendable, Codable, CaseIterable {
    // Shape of the request (no state consulted).
    case requestInvalid = 1
    case amountInvalid = 2
    case batchEmpty = 3
    case batchTooLarge = 4
    // Idempotency: the serial exists with different content.
    case serialConflict = 10
    // Who is asking.
    case corporationUnknown = 20
    case operatorUnknown = 21
    case operatorNotActive = 22
    case permissionDenied = 23
    // What they ask about.
    case accountUnknown = 30
    case accountNotActive = 31
    case currencyMismatch = 32
    case sameAccount = 33
    case valueDateInvalid = 34
    case channelNotAllowed = 35
    // Money.
    case limitExceeded = 40
    case insufficientFunds = 41
    // Later commands on an existing payment.
    case paymentUnknown = 50
    case transitionNotAllowed = 51
    case orderDigestMismatch = 52
    case approverIsMaker = 53
    case approverAlreadyActed = 54
    case approverNotEligible = 55
    /// Not a refusal of the command: the outcome of a payment an approver rejected.
    case rejectedByApprover = 56
    // Outcomes reported by clearing.
    case clearingRejected = 60
    case returnedByBeneficiaryBank = 61
    // Time-driven outcomes.
    case approvalExpired = 70
    // Bugs or the machine: never a business answer; safe to retry with the same serial.
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
