/// A role grants transaction types and accounts ("*" grants all).
public struct Role: Sendable, Hashable, Codable {
    public var name: String
    public var transactionTypes: [String]
    public var accounts: [String]

    public init(name: String, transactionTypes: [String], accounts: [String]) {
        self.name = name
        self.transactionTypes = transactionTypes
        self.accounts = accounts
    }

    public func grants(transactionType: String) -> Bool {
        transactionTypes.contains("*") || transactionTypes.contains(transactionType)
    }

    public func grants(account: String) -> Bool {
        accounts.contains("*") || accounts.contains(account)
    }
}

public enum OperatorStatus: String, Sendable, Hashable, Codable {
    case active = "ACTIVE", suspended = "SUSPENDED"
}

/// A person acting for a corporation, bound to certificates by SHA-256 fingerprint
/// (lowercase hex, no colons).
public struct OperatorProfile: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var roles: [String]
    public var status: OperatorStatus
    public var certificateFingerprints: [String]

    public init(id: String, name: String, roles: [String], status: OperatorStatus = .active, certificateFingerprints: [String] = []) {
        self.id = id
        self.name = name
        self.roles = roles
        self.status = status
        self.certificateFingerprints = certificateFingerprints
    }
}

/// A corporation's operators and roles: what the engine consults to authorise a command.
public struct CorporationProfile: Sendable, Hashable {
    public var id: String
    public var name: String
    public var roles: [String: Role]
    public var operators: [String: OperatorProfile]

    public init(id: String, name: String, roles: [Role], operators: [OperatorProfile]) {
        self.id = id
        self.name = name
        self.roles = Dictionary(roles.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.operators = Dictionary(operators.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Checks that the operator exists, is active, signed with a certificate bound to them (when
    /// the caller names one and the operator has bindings), and holds a role granting the type and the account.
    public func authorise(operatorId: String, transactionType: String, account: String,
                          certificateFingerprint: String? = nil) -> Result<OperatorProfile, EngineError> {
        guard let profile = operators[operatorId] else {
            return .failure(EngineError(.operatorUnknown, "operator \(operatorId) is not registered for \(id)"))
        }
        guard profile.status == .active else {
            return .failure(EngineError(.operatorNotActive, "operator \(operatorId) is \(profile.status.rawValue)"))
        }
        if let fingerprint = certificateFingerprint, !profile.certificateFingerprints.isEmpty,
           !profile.certificateFingerprints.contains(fingerprint.lowercased()) {
            return .failure(EngineError(.permissionDenied, "the signing certificate is not bound to operator \(operatorId): bind its SHA-256 fingerprint first",
                                        ruleId: "binding:\(operatorId)"))
        }
        // The rule a permission refusal names: the grant that is missing.
        let rule = "role:\(transactionType):\(account)"
        let held = profile.roles.compactMap { roles[$0] }
        guard held.contains(where: { $0.grants(transactionType: transactionType) }) else {
            return .failure(EngineError(.permissionDenied, "no role of \(operatorId) grants \(transactionType): the corporation admin must grant it", ruleId: rule))
        }
        guard held.contains(where: { $0.grants(transactionType: transactionType) && $0.grants(account: account) }) else {
            return .failure(EngineError(.permissionDenied, "no role of \(operatorId) grants \(transactionType) on this account: the corporation admin must grant the account",
                                        ruleId: rule))
        }
        return .success(profile)
    }
}
