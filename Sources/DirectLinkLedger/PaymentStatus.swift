/// The lifecycle of a payment (and of each payroll item). Transitions are an explicit table;
/// every transition the engine applies is recorded as an event.
public enum PaymentStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case received = "RECEIVED"
    case pendingApproval = "PENDING_APPROVAL"
    case approved = "APPROVED"
    case scheduled = "SCHEDULED"
    case released = "RELEASED"
    case settled = "SETTLED"
    case rejected = "REJECTED"
    case cancelled = "CANCELLED"
    case expired = "EXPIRED"
    case failed = "FAILED"
    case returned = "RETURNED"

    /// Allowed transitions. Intra-bank payments go APPROVED → SETTLED directly (no clearing).
    public static let transitions: [PaymentStatus: Set<PaymentStatus>] = [
        .received: [.pendingApproval, .approved, .failed],
        .pendingApproval: [.approved, .rejected, .cancelled, .expired],
        .approved: [.scheduled, .released, .settled, .failed],
        .scheduled: [.released, .settled, .cancelled, .failed],
        .released: [.settled, .failed],
        .settled: [.returned],
        .rejected: [], .cancelled: [], .expired: [], .failed: [], .returned: [],
    ]

    public func canTransition(to next: PaymentStatus) -> Bool {
        PaymentStatus.transitions[self]?.contains(next) ?? false
    }

    /// Final: the client may stop asking. SETTLED is final for the payer, though an inter-bank
    /// SETTLED payment may later become RETURNED if the beneficiary bank sends it back (退票).
    public var isFinal: Bool {
        switch self {
        case .settled, .rejected, .cancelled, .expired, .failed, .returned: return true
        case .received, .pendingApproval, .approved, .scheduled, .released: return false
        }
    }

    /// Whether the payment's funds are held (available balance reduced) in this state.
    public var holdsFunds: Bool {
        switch self {
        case .pendingApproval, .approved, .scheduled, .released: return true
        default: return false
        }
    }

    /// ISO 20022 pain.002 transaction status. `PATC` (partially accepted technical, used for
    /// partial approval progress) is decided by the caller, who knows the approvals so far.
    public var iso20022: String {
        switch self {
        case .received: return "ACTC"
        case .pendingApproval: return "PDNG"
        case .approved, .scheduled, .released: return "ACSP"
        case .settled: return "ACSC"
        case .rejected, .expired, .failed, .returned: return "RJCT"
        case .cancelled: return "CANC"
        }
    }
}

/// The status of a payroll batch, derived from its items once none is in progress.
public enum BatchStatus: String, Sendable, Codable, Hashable {
    case inProgress = "IN_PROGRESS"
    case settled = "SETTLED"
    case partiallySettled = "PARTIALLY_SETTLED"
    case failed = "FAILED"
    /// Every item was cancelled before release.
    case cancelled = "CANCELLED"

    public static func derive(from items: [PaymentStatus]) -> BatchStatus {
        if items.contains(where: { !$0.isFinal }) { return .inProgress }
        if !items.isEmpty && items.allSatisfy({ $0 == .cancelled }) { return .cancelled }
        let settledCount = items.filter { $0 == .settled }.count
        if settledCount == items.count { return .settled }
        return settledCount == 0 ? .failed : .partiallySettled
    }

    public var iso20022: String {
        switch self {
        case .inProgress: return "ACSP"
        case .settled: return "ACSC"
        case .partiallySettled: return "PART"
        case .failed: return "RJCT"
        case .cancelled: return "CANC"
        }
    }
}
