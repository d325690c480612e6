import DirectLinkEngine
import DirectLinkLedger
import DirectLinkMessage

/// Who may speak for which corporation: the registry of corporations, operators, their bound certificate
/// fingerprints and roles, as loaded from the engine's seed.
public struct OperatorDirectory: Sendable {
    let corporations: [String: CorporationProfile]

    public init(seed: Seed) {
        var corporations: [String: CorporationProfile] = [:]
        for corporation in seed.corporations {
            corporations[corporation.id] = CorporationProfile(id: corporation.id, name: corporation.name, roles: corporation.roles, operators: corporation.operators)
        }
        self.corporations = corporations
    }

    /// The identity check: the signer must be an active operator of `CorpId`, signing with a certificate bound to them.
    func authenticate(_ message: VerifiedMessage) throws(GatewayRejection) -> (CorporationProfile, OperatorProfile) {
        let head = message.head
        guard let corporation = corporations[head.corpId] else {
            throw GatewayRejection(.corporationUnknown, "corporation \(head.corpId) is not registered for direct link", path: "/Message/Head/CorpId")
        }
        guard let profile = corporation.operators[head.operatorId] else {
            throw GatewayRejection(.operatorUnknown, "operator \(head.operatorId) is not registered for \(head.corpId)", path: "/Message/Head/OperatorId")
        }
        guard profile.status == .active else {
            throw GatewayRejection(.operatorNotActive, "operator \(head.operatorId) is \(profile.status.rawValue)", path: "/Message/Head/OperatorId")
        }
        let fingerprint = message.signer.identity.fingerprintSHA256
        guard profile.certificateFingerprints.contains(fingerprint) else {
            throw GatewayRejection(.certificateNotBound, "certificate sha256=\(fingerprint) is not bound to operator \(head.operatorId)", path: "/Message/Head/OperatorId")
        }
        return (corporation, profile)
    }
}

/// A refusal by the gateway's own checks, with what the client needs to act on it.
struct GatewayRejection: Error {
    let status: ResponseStatus

    init(_ code: RetCode, _ detail: String, path: String? = nil, ruleId: String? = nil) {
        status = ResponseStatus(code, detail: detail, errorPath: path, ruleId: ruleId)
    }

    init(status: ResponseStatus) {
        self.status = status
    }
}

extension EngineError {
    /// The one mapping from engine result codes to wire codes.
    var retCode: RetCode {
        switch code {
        case .requestInvalid: .requestInvalid
        case .amountInvalid: .amountInvalid
        case .batchEmpty, .batchTooLarge: .batchInvalid
        case .serialConflict: .serialConflict
        case .corporationUnknown: .corporationUnknown
        case .operatorUnknown: .operatorUnknown
        case .operatorNotActive: .operatorNotActive
        case .permissionDenied: .permissionDenied
        case .accountUnknown: .accountUnknown
        case .accountNotActive: .accountNotActive
        case .currencyMismatch: .currencyMismatch
        case .sameAccount: .sameAccount
        case .valueDateInvalid: .valueDateInvalid
        case .channelNotAllowed: .channelNotAllowed
        case .limitExceeded: .limitExceeded
        case .insufficientFunds: .insufficientFunds
        case .paymentUnknown: .paymentUnknown
        case .transitionNotAllowed: .approvalNotPending
        case .orderDigestMismatch: .orderDigestMismatch
        case .approverIsMaker: .approverIsMaker
        case .approverAlreadyActed: .approverAlreadyActed
        case .approverNotEligible: .approverNotEligible
        // Outcomes, not refusals: the envelope is OK and the business status says FAILED/REJECTED/RETURNED.
        case .rejectedByApprover, .clearingRejected, .returnedByBeneficiaryBank, .approvalExpired: .ok
        case .storageFailure: .serviceUnavailable
        }
    }

    var rejection: GatewayRejection {
        // A storage failure's reason carries SQLite's text (statements, file paths): it is logged, never sent.
        if code == .storageFailure {
            return GatewayRejection(retCode, "the bank's database did not answer; query with the same SerialNo before resending")
        }
        return GatewayRejection(retCode, reason, path: field.map(Self.path(ofField:)), ruleId: ruleId)
    }

    /// Engine field names → the XML element a client sent.
    static func path(ofField field: String) -> String {
        let elements = [
            "amount": "Amount", "debitAccount": "DebitAccount", "creditAccount": "CreditAccount", "payeeName": "CreditName",
            "payeeBankCode": "CreditBankCode", "memo": "Purpose", "valueDate": "ValueDate", "requestedChannel": "RequestedChannel",
            "urgent": "Urgency", "items": "Items", "currency": "Currency", "orderDigest": "OrderDigest", "payment": "OrigSerialNo",
        ]
        if field == "transactionType" { return "/Message/Head/TxCode" }
        if field == "operatorId" { return "/Message/Head/OperatorId" }
        return "/Message/Body/*/" + (elements[field] ?? field)
    }
}
