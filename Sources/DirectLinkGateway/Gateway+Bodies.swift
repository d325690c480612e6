import DirectLinkEngine
import DirectLinkLedger
import DirectLinkMessage
import DirectLinkXML

extension Gateway {
    /// A command's result: the envelope code comes from a refusal (the order was not accepted); an outcome such as
    /// a rejection by an approver or a clearing failure leaves the envelope OK and shows in the business status.
    /// `originalSerial` is the payment's own serial when the command acted on an earlier payment (approve, reject,
    /// cancel); a submission's serial is its own.
    static func payment(_ result: CommandResult, originalSerial: String?? = nil) -> (ResponseStatus, ResponseBody) {
        let serial: String? = originalSerial ?? result.serial
        var status = ResponseStatus.ok
        if let error = result.error, error.retCode != .ok {
            status = error.rejection.status
        }
        status.serialSeenBefore = result.replayed || result.error?.code == .serialConflict
        if status.retCode == .ok { status.paymentStatus = result.batchStatus?.rawValue ?? result.status.rawValue }
        if result.batchStatus != nil || !result.items.isEmpty {
            return (status, ResponseBody("BatchResult") { element in
                element.addIfPresent("BankRef", result.bankReference)
                element.add("Status", result.batchStatus?.rawValue ?? result.status.rawValue)
                element.add("Iso20022Status", result.iso20022)
                element.add("Final", result.isFinal ? "true" : "false")
                addItems(result.items, to: element)
            })
        }
        return (status, ResponseBody("PaymentResult") { element in
            element.addIfPresent("BankRef", result.bankReference)
            element.addIfPresent("OrigSerialNo", serial)
            element.add("Status", result.status.rawValue)
            element.add("Iso20022Status", result.iso20022)
            element.add("Final", result.isFinal ? "true" : "false")
            element.addIfPresent("Channel", result.channel?.rawValue)
            element.addIfPresent("Reason", result.error.map { ResponseBuilder.clip($0.reason) })
        })
    }

    static func body(of view: PaymentView) -> ResponseBody {
        if view.batchStatus != nil || !view.items.isEmpty {
            return ResponseBody("BatchResult") { element in
                element.add("BankRef", view.bankReference)
                element.add("Status", view.batchStatus?.rawValue ?? view.status.rawValue)
                element.add("Iso20022Status", view.iso20022)
                element.add("Final", view.isFinal ? "true" : "false")
                addItems(view.items, to: element)
            }
        }
        return ResponseBody("PaymentResult") { element in
            element.add("BankRef", view.bankReference)
            element.addIfPresent("OrigSerialNo", view.serial)
            element.add("Status", view.status.rawValue)
            element.add("Iso20022Status", view.iso20022)
            element.add("Final", view.isFinal ? "true" : "false")
            element.addIfPresent("Channel", view.channel?.rawValue)
            element.add("Amount", view.amount.decimalText)
            element.addIfPresent("Reason", view.error.map { ResponseBuilder.clip($0.reason) })
            element.add("OrderDigest", view.orderDigest)
        }
    }

    private static func addItems(_ items: [ItemResult], to element: XMLElement) {
        for item in items {
            let entry = element.add("Item")
            entry.add("ItemNo", "\(item.itemNumber)")
            entry.add("BankRef", item.bankReference)
            entry.add("Status", item.status.rawValue)
            entry.addIfPresent("Channel", item.channel?.rawValue)
            entry.addIfPresent("Reason", item.error.map { ResponseBuilder.clip($0.reason) })
        }
    }

    static func preValidation(_ result: PreValidation) -> (ResponseStatus, ResponseBody) {
        (.ok, ResponseBody("PreValidateResult") { element in
            element.addIfPresent("Channel", result.channel?.rawValue)
            element.addIfPresent("ApprovalRuleId", result.approvalRuleId)
            for level in result.approvalLevels {
                let entry = element.add("ApprovalLevel")
                entry.add("Role", level.role)
                entry.add("Required", "\(level.required)")
            }
            for limit in result.limits {
                let entry = element.add("Limit")
                entry.add("RuleId", limit.ruleId)
                entry.add("Period", "\(limit.period.rawValue)")
                entry.add("Max", "\(limit.max)")
                entry.add("Remaining", "\(limit.remaining)")
                entry.add("WouldPass", limit.wouldPass ? "true" : "false")
            }
            element.add("FundsSufficient", result.fundsSufficient ? "true" : "false")
            if let error = result.error {
                element.add("WouldRefuse", error.retCode.rawValue)
                element.add("Reason", ResponseBuilder.clip(error.reason))
            }
        })
    }
}

extension XMLElement {
    @discardableResult
    func add(_ name: String, _ text: String? = nil) -> XMLElement {
        appendElement(name, namespaceURI: Namespace.directLink, text: text)
    }

    func addIfPresent(_ name: String, _ text: String?) {
        if let text { add(name, text) }
    }
}
