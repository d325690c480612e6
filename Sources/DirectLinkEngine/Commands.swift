import DirectLinkLedger

/// A single payment order, as the protocol layer maps it from a verified message.
public struct PaymentOrder: Sendable, Hashable {
    public var corporation: String
    public var operatorId: String
    /// The client's serial (ERP reference): unique forever per corporation across every non-query command.
    public var serial: String
    /// Transaction type as granted by roles and matched by limits and approval rules, e.g. `PAY.SINGLE`.
    public var transactionType: String
    public var debitAccount: String
    public var creditAccount: String
    public var payeeName: String
    /// The payee bank's 12-digit CNAPS code; our own code (or nil) means an intra-bank payment.
    public var payeeBankCode: String?
    public var amount: Money
    public var requestedChannel: Channel?
    public var urgent: Bool
    /// A future business date schedules the payment; nil or today pays at once.
    public var valueDate: BusinessDate?
    public var memo: String
    public var accessChannel: AccessChannel
    /// SHA-256 (lowercase hex) of the signed order bytes: approvers approve exactly this.
    public var orderDigest: String
    /// SHA-256 fingerprint of the certificate whose signature the protocol layer verified; when
    /// given, it must be one the seed binds to the operator.
    public var certificateFingerprint: String?

    public init(corporation: String, operatorId: String, serial: String, transactionType: String = "PAY.SINGLE",
                debitAccount: String, creditAccount: String, payeeName: String, payeeBankCode: String? = nil,
                amount: Money, requestedChannel: Channel? = nil, urgent: Bool = false, valueDate: BusinessDate? = nil,
                memo: String = "", accessChannel: AccessChannel = .directLink, orderDigest: String,
                certificateFingerprint: String? = nil) {
        self.corporation = corporation
        self.operatorId = operatorId
        self.serial = serial
        self.transactionType = transactionType
        self.debitAccount = debitAccount
        self.creditAccount = creditAccount
        self.payeeName = payeeName
        self.payeeBankCode = payeeBankCode
        self.amount = amount
        self.requestedChannel = requestedChannel
        self.urgent = urgent
        self.valueDate = valueDate
        self.memo = memo
        self.accessChannel = accessChannel
        self.orderDigest = orderDigest
        self.certificateFingerprint = certificateFingerprint
    }
}

/// One payroll (代发) item.
public struct BatchItem: Sendable, Hashable {
    public var creditAccount: String
    public var payeeName: String
    public var payeeBankCode: String?
    public var amount: Money
    public var memo: String

    public init(creditAccount: String, payeeName: String, payeeBankCode: String? = nil, amount: Money, memo: String = "") {
        self.creditAccount = creditAccount
        self.payeeName = payeeName
        self.payeeBankCode = payeeBankCode
        self.amount = amount
        self.memo = memo
    }
}

/// A payroll batch: approved or rejected as a whole, executed per item.
public struct BatchOrder: Sendable, Hashable {
    public var corporation: String
    public var operatorId: String
    public var serial: String
    public var transactionType: String
    public var debitAccount: String
    public var items: [BatchItem]
    public var valueDate: BusinessDate?
    public var accessChannel: AccessChannel
    public var orderDigest: String
    public var certificateFingerprint: String?

    public init(corporation: String, operatorId: String, serial: String, transactionType: String = "PAY.BATCH",
                debitAccount: String, items: [BatchItem], valueDate: BusinessDate? = nil,
                accessChannel: AccessChannel = .directLink, orderDigest: String, certificateFingerprint: String? = nil) {
        self.corporation = corporation
        self.operatorId = operatorId
        self.serial = serial
        self.transactionType = transactionType
        self.debitAccount = debitAccount
        self.items = items
        self.valueDate = valueDate
        self.accessChannel = accessChannel
        self.orderDigest = orderDigest
        self.certificateFingerprint = certificateFingerprint
    }
}

/// An approver's decision on exact bytes: the payment, the digest of its signed order, and the
/// verified identity and message digest that carried the decision.
public struct ApprovalCommand: Sendable, Hashable {
    public var corporation: String
    public var operatorId: String
    /// The approver's own serial for this instruction (idempotent like every other command).
    public var serial: String
    /// The payment's bank reference (`DL…`) or the maker's serial.
    public var payment: PaymentReference
    public var decision: ApprovalDecisionKind
    /// SHA-256 (hex) of the original signed order; must equal the one recorded at submission.
    public var orderDigest: String
    /// SHA-256 (hex) of the signed message carrying this decision.
    public var messageDigest: String
    /// Fingerprint of the certificate that verified the decision's signature.
    public var certificateFingerprint: String

    public init(corporation: String, operatorId: String, serial: String, payment: PaymentReference, decision: ApprovalDecisionKind,
                orderDigest: String, messageDigest: String, certificateFingerprint: String) {
        self.corporation = corporation
        self.operatorId = operatorId
        self.serial = serial
        self.payment = payment
        self.decision = decision
        self.orderDigest = orderDigest
        self.messageDigest = messageDigest
        self.certificateFingerprint = certificateFingerprint
    }
}

/// Cancels a payment that has not yet been released to clearing (or settled).
public struct CancelCommand: Sendable, Hashable {
    public var corporation: String
    public var operatorId: String
    public var serial: String
    public var payment: PaymentReference

    public init(corporation: String, operatorId: String, serial: String, payment: PaymentReference) {
        self.corporation = corporation
        self.operatorId = operatorId
        self.serial = serial
        self.payment = payment
    }
}

/// 企业管理人自管模式: a corporation admin replaces the corporation's approval rules. Rules are
/// tried in order; the first matching rule decides. Takes effect for payments submitted after it.
public struct DefineApprovalRulesCommand: Sendable, Hashable {
    public var corporation: String
    public var operatorId: String
    public var serial: String
    public var rules: [ApprovalRule]

    public init(corporation: String, operatorId: String, serial: String, rules: [ApprovalRule]) {
        self.corporation = corporation
        self.operatorId = operatorId
        self.serial = serial
        self.rules = rules
    }
}

public enum PaymentReference: Sendable, Hashable {
    case bankReference(String)
    case serial(String)
}

/// The answer to a payment, batch, approval or cancel command.
public struct CommandResult: Sendable, Hashable {
    /// `DL` + 12 digits; nil only when nothing could be recorded (a serial conflict, an invalid request).
    public var bankReference: String?
    public var serial: String
    public var status: PaymentStatus
    /// ISO 20022 status: ACTC, PDNG, PATC, ACSP, ACSC, RJCT, CANC (PART for a partially settled batch).
    public var iso20022: String
    public var isFinal: Bool
    public var channel: Channel?
    /// Why the command failed (status FAILED/REJECTED), or why it was refused without being recorded.
    public var error: EngineError?
    /// True when this serial was seen before with the same content: the original payment is reported.
    public var replayed: Bool
    /// For a batch: its derived status and one result per item, in order.
    public var batchStatus: BatchStatus?
    public var items: [ItemResult]
}

public struct ItemResult: Sendable, Hashable {
    public var itemNumber: Int
    public var bankReference: String
    public var status: PaymentStatus
    public var channel: Channel?
    public var error: EngineError?
}

/// The answer to a pre-validation (dry run): nothing is held or consumed.
public struct PreValidation: Sendable, Hashable {
    /// The first check that would refuse the payment, if any.
    public var error: EngineError?
    public var channel: Channel?
    public var approvalRuleId: String?
    public var approvalLevels: [ApprovalLevel]
    public var limits: [LimitHeadroom]
    public var fundsSufficient: Bool
}

/// Pre-validation of a payroll batch: whole-batch refusal if any, and each item's own outcome.
public struct BatchPreValidation: Sendable, Hashable {
    public var error: EngineError?
    public var approvalRuleId: String?
    public var approvalLevels: [ApprovalLevel]
    /// Headroom under every limit rule for the total of the valid items.
    public var limits: [LimitHeadroom]
    public var totalMinor: Int64
    /// Per item, in order: nil if it would be paid, else why not (funds are allotted in item order).
    public var items: [EngineError?]
}

public struct AccountBalance: Sendable, Hashable {
    public var account: String
    public var currency: Currency
    public var balanceMinor: Int64
    public var availableMinor: Int64
    public var holdsMinor: Int64
    public var overdraftMinor: Int64
    public var status: AccountStatus
    public var parentAccount: String?
}

public struct DetailEntry: Sendable, Hashable {
    public var bankReference: String?
    public var amountMinor: Int64
    public var currency: Currency
    public var businessDate: BusinessDate
    public var atEpochSeconds: Int64
    public var counterparty: String?
    public var memo: String
}

public struct DetailsPage: Sendable, Hashable {
    public var entries: [DetailEntry]
    public var more: Bool
    /// Opaque: pass it back to get the next page. Stable while new postings arrive.
    public var continuation: String?
}

public struct PaymentEvent: Sendable, Hashable {
    public var from: PaymentStatus?
    public var to: PaymentStatus
    public var atEpochSeconds: Int64
    public var detail: String
}

/// Everything about one payment in one answer.
public struct PaymentView: Sendable, Hashable {
    public var bankReference: String
    public var serial: String?
    public var corporation: String
    public var kind: String
    public var status: PaymentStatus
    public var iso20022: String
    public var isFinal: Bool
    public var channel: Channel?
    public var amount: Money
    public var debitAccount: String
    public var creditAccount: String
    /// SHA-256 (hex) of the signed order: what approvers must name to approve it.
    public var orderDigest: String
    public var error: EngineError?
    public var events: [PaymentEvent]
    public var approval: ApprovalFlow?
    public var batchStatus: BatchStatus?
    public var items: [ItemResult]
}

public struct PendingApproval: Sendable, Hashable {
    public var bankReference: String
    public var serial: String
    public var maker: String
    public var amount: Money
    public var debitAccount: String
    public var creditAccount: String
    public var orderDigest: String
    public var ruleId: String
    public var level: Int
    public var requiredAtLevel: Int
    public var approvedAtLevel: Int
    public var expiresAtEpochSeconds: Int64
}
