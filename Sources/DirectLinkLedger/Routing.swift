/// The rail a payment settles on.
public enum Channel: String, Sendable, Codable, CaseIterable, Hashable {
    /// Same bank: settles at once in our ledger.
    case `internal` = "INTERNAL"
    /// 大额实时支付系统: large or urgent, only in its window on business days.
    case hvps = "HVPS"
    /// 网上支付跨行清算系统 (超级网银): up to its per-transaction cap, 7×24.
    case ibps = "IBPS"
    /// 小额批量支付系统: everything else, 7×24, deferred settlement.
    case beps = "BEPS"
}

/// Routing rules, loaded from `conf/engine/routing.json`.
public struct RoutingRules: Sendable, Hashable, Codable {
    /// Our own bank's 12-digit CNAPS code: a payee at this code is paid internally.
    public var ownBankCode: String
    /// Amounts at or above this go to HVPS when it is open.
    public var hvpsThresholdMinor: Int64
    /// HVPS operating window on business days, minutes after Shanghai midnight, [open, close).
    public var hvpsOpenMinute: Int
    public var hvpsCloseMinute: Int
    /// IBPS per-transaction cap.
    public var ibpsCapMinor: Int64

    public init(ownBankCode: String, hvpsThresholdMinor: Int64, hvpsOpenMinute: Int, hvpsCloseMinute: Int, ibpsCapMinor: Int64) {
        self.ownBankCode = ownBankCode
        self.hvpsThresholdMinor = hvpsThresholdMinor
        self.hvpsOpenMinute = hvpsOpenMinute
        self.hvpsCloseMinute = hvpsCloseMinute
        self.ibpsCapMinor = ibpsCapMinor
    }
}

/// What routing needs to know about a payment.
public struct RoutingRequest: Sendable, Hashable {
    public var payeeIsInternal: Bool
    public var amountMinor: Int64
    public var urgent: Bool
    public var requested: Channel?

    public init(payeeIsInternal: Bool, amountMinor: Int64, urgent: Bool, requested: Channel?) {
        self.payeeIsInternal = payeeIsInternal
        self.amountMinor = amountMinor
        self.urgent = urgent
        self.requested = requested
    }
}

/// Smart routing (智能转账路由): a pure function of the rules, the calendar and the instant.
public struct Router: Sendable {
    public let rules: RoutingRules
    public let calendar: BusinessCalendar

    public init(rules: RoutingRules, calendar: BusinessCalendar) {
        self.rules = rules
        self.calendar = calendar
    }

    public func hvpsIsOpen(atEpochSeconds now: Int64) -> Bool {
        let minute = ShanghaiTime.minuteOfDay(epochSeconds: now)
        return calendar.isBusinessDay(BusinessDate(epochSeconds: now))
            && minute >= rules.hvpsOpenMinute && minute < rules.hvpsCloseMinute
    }

    /// Chooses the channel, or explains why the requested one is not allowed.
    public func route(_ request: RoutingRequest, atEpochSeconds now: Int64) -> Result<Channel, EngineError> {
        if request.payeeIsInternal {
            if let requested = request.requested, requested != .internal {
                return .failure(EngineError(.channelNotAllowed, "payee is at our bank: only INTERNAL applies, not \(requested.rawValue)"))
            }
            return .success(.internal)
        }
        if let requested = request.requested {
            if let refusal = refusal(of: requested, request, now) { return .failure(refusal) }
            return .success(requested)
        }
        if (request.urgent || request.amountMinor >= rules.hvpsThresholdMinor) && hvpsIsOpen(atEpochSeconds: now) {
            return .success(.hvps)
        }
        if request.amountMinor <= rules.ibpsCapMinor { return .success(.ibps) }
        return .success(.beps)
    }

    private func refusal(of channel: Channel, _ request: RoutingRequest, _ now: Int64) -> EngineError? {
        switch channel {
        case .internal:
            return EngineError(.channelNotAllowed, "INTERNAL applies only to payees at our bank (\(rules.ownBankCode))")
        case .hvps:
            return hvpsIsOpen(atEpochSeconds: now) ? nil
                : EngineError(.channelNotAllowed, "HVPS is closed: it runs on business days from minute \(rules.hvpsOpenMinute) to \(rules.hvpsCloseMinute) Shanghai time")
        case .ibps:
            return request.amountMinor <= rules.ibpsCapMinor ? nil
                : EngineError(.channelNotAllowed, "IBPS takes at most \(Money.format(minorUnits: rules.ibpsCapMinor)) per payment")
        case .beps:
            return nil
        }
    }
}
