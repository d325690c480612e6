/// When an approval rule applies. Absent fields match anything.
public struct ApprovalCondition: Sendable, Hashable, Codable {
    public var transactionTypes: [String]?
    public var amountMinMinor: Int64?
    public var amountMaxMinor: Int64?
    public var accounts: [String]?
    /// When true the rule applies only to beneficiaries the corporation has not paid before.
    public var newBeneficiaryOnly: Bool?

    public init(transactionTypes: [String]? = nil, amountMinMinor: Int64? = nil, amountMaxMinor: Int64? = nil,
                accounts: [String]? = nil, newBeneficiaryOnly: Bool? = nil) {
        self.transactionTypes = transactionTypes
        self.amountMinMinor = amountMinMinor
        self.amountMaxMinor = amountMaxMinor
        self.accounts = accounts
        self.newBeneficiaryOnly = newBeneficiaryOnly
    }

    public func matches(_ subject: ApprovalSubject) -> Bool {
        if let types = transactionTypes, !types.contains(subject.transactionType) { return false }
        if let minimum = amountMinMinor, subject.amountMinor < minimum { return false }
        if let maximum = amountMaxMinor, subject.amountMinor > maximum { return false }
        if let accounts, !accounts.contains(subject.account) { return false }
        if newBeneficiaryOnly == true, !subject.beneficiaryIsNew { return false }
        return true
    }
}

/// One sequential level: `required` distinct approvers holding `role` (M of the N who hold it).
public struct ApprovalLevel: Sendable, Hashable, Codable {
    public var role: String
    public var required: Int
    public init(role: String, required: Int) {
        self.role = role
        self.required = required
    }
}

/// A corporation admin's rule: a condition and the levels it requires. Rules are tried in
/// order; the first that matches decides.
public struct ApprovalRule: Sendable, Hashable, Codable {
    public var id: String
    public var condition: ApprovalCondition
    public var levels: [ApprovalLevel]
    public init(id: String, condition: ApprovalCondition, levels: [ApprovalLevel]) {
        self.id = id
        self.condition = condition
        self.levels = levels
    }
}

public struct ApprovalSubject: Sendable, Hashable {
    public var transactionType: String
    public var amountMinor: Int64
    public var account: String
    public var beneficiaryIsNew: Bool
    public init(transactionType: String, amountMinor: Int64, account: String, beneficiaryIsNew: Bool) {
        self.transactionType = transactionType
        self.amountMinor = amountMinor
        self.account = account
        self.beneficiaryIsNew = beneficiaryIsNew
    }
}

public enum ApprovalDecisionKind: String, Sendable, Hashable, Codable {
    case approve = "APPROVE", reject = "REJECT"
}

/// One approver's act, with what makes it provable offline: the digest of the order they
/// approved and of the signed message that carried their decision.
public struct ApprovalRecord: Sendable, Hashable, Codable {
    public var level: Int
    public var operatorId: String
    public var decision: ApprovalDecisionKind
    public var orderDigest: String
    public var messageDigest: String
    public var certificateFingerprint: String
    public var atEpochSeconds: Int64

    public init(level: Int, operatorId: String, decision: ApprovalDecisionKind, orderDigest: String, messageDigest: String,
                certificateFingerprint: String, atEpochSeconds: Int64) {
        self.level = level
        self.operatorId = operatorId
        self.decision = decision
        self.orderDigest = orderDigest
        self.messageDigest = messageDigest
        self.certificateFingerprint = certificateFingerprint
        self.atEpochSeconds = atEpochSeconds
    }
}

public enum ApprovalFlowStatus: String, Sendable, Hashable, Codable {
    case pending = "PENDING", approved = "APPROVED", rejected = "REJECTED"
}

/// The approval state of one payment: a pure value; `approve`/`reject` return the new state or
/// the reason the act is refused, checked in this order: flow still pending, not the maker,
/// not already acted, holds the level's role.
public struct ApprovalFlow: Sendable, Hashable, Codable {
    public var ruleId: String
    public var levels: [ApprovalLevel]
    public var maker: String
    public var currentLevel: Int
    public var records: [ApprovalRecord]
    public var status: ApprovalFlowStatus

    public init(rule: ApprovalRule, maker: String) {
        precondition(!rule.levels.isEmpty && rule.levels.allSatisfy { $0.required >= 1 }, "rules are validated at load")
        ruleId = rule.id
        levels = rule.levels
        self.maker = maker
        currentLevel = 0
        records = []
        status = .pending
    }

    /// Approvals collected at the current level.
    public var approvalsAtCurrentLevel: Int {
        records.filter { $0.level == currentLevel && $0.decision == .approve }.count
    }

    /// Some approvals gathered but not all: ISO 20022 `PATC`.
    public var isPartiallyApproved: Bool { status == .pending && !records.isEmpty }

    public func eligibility(of operatorId: String, roles: Set<String>) -> EngineError? {
        guard status == .pending else {
            return EngineError(.transitionNotAllowed, "the approval flow is already \(status.rawValue)", ruleId: ruleId)
        }
        if operatorId == maker {
            return EngineError(.approverIsMaker, "the maker cannot approve or reject their own payment", ruleId: ruleId)
        }
        if records.contains(where: { $0.operatorId == operatorId }) {
            return EngineError(.approverAlreadyActed, "\(operatorId) has already acted on this payment", ruleId: ruleId)
        }
        let role = levels[currentLevel].role
        guard roles.contains(role) else {
            return EngineError(.approverNotEligible, "level \(currentLevel + 1) needs role \(role), which \(operatorId) does not hold", ruleId: ruleId)
        }
        return nil
    }

    public mutating func act(_ record: ApprovalRecord, roles: Set<String>) -> EngineError? {
        if let refusal = eligibility(of: record.operatorId, roles: roles) { return refusal }
        var record = record
        record.level = currentLevel
        records.append(record)
        if record.decision == .reject {
            status = .rejected
            return nil
        }
        if approvalsAtCurrentLevel >= levels[currentLevel].required {
            if currentLevel + 1 == levels.count {
                status = .approved
            } else {
                currentLevel += 1
            }
        }
        return nil
    }
}

/// Picks the rule for a payment: the first whose condition matches; nil means no approval.
public func approvalRule(for subject: ApprovalSubject, in rules: [ApprovalRule]) -> ApprovalRule? {
    rules.first { $0.condition.matches(subject) }
}
