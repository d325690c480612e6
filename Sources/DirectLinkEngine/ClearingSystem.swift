import DirectLinkLedger

/// What DirectLink sends to an external clearing system (HVPS, IBPS, BEPS).
public struct ClearingInstruction: Sendable, Hashable {
    public var bankReference: String
    public var channel: Channel
    public var payeeBankCode: String
    public var payeeAccount: String
    public var amount: Money
}

/// What the clearing system eventually reports for an instruction.
public enum ClearingOutcome: Sendable, Hashable {
    case settled
    /// The clearing system or the beneficiary bank refused it: the payment FAILS and its hold is released.
    case rejected(reason: String)
    /// It settles, and the beneficiary bank later sends it back (退票): credited back as a new event.
    case settledThenReturned(reason: String)
}

/// The external clearing systems, outside DirectLink. The engine asks for the outcome of every
/// RELEASED payment in its clearing cycle.
public protocol ClearingSystem: Sendable {
    func outcome(of instruction: ClearingInstruction) -> ClearingOutcome
}

/// A deterministic stand-in for the clearing systems, so every path is testable. Its rules,
/// by the payee account number's last four digits:
/// - `0000`: rejected ("beneficiary account does not exist");
/// - `9999`: settles, then is returned in the next clearing cycle ("beneficiary account closed");
/// - anything else: settles.
public struct ClearingSimulator: ClearingSystem {
    public init() {}

    public func outcome(of instruction: ClearingInstruction) -> ClearingOutcome {
        if instruction.payeeAccount.hasSuffix("0000") { return .rejected(reason: "beneficiary account does not exist") }
        if instruction.payeeAccount.hasSuffix("9999") { return .settledThenReturned(reason: "beneficiary account closed") }
        return .settled
    }
}
