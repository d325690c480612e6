import DirectLinkEngine
import DirectLinkLedger
import DirectLinkMessage
import DirectLinkXML
import Foundation

extension Gateway {
    /// Maps one transaction code onto the engine and its result onto a response body.
    func dispatch(_ request: ParsedRequest, now: Date) async throws(GatewayRejection) -> (ResponseStatus, ResponseBody) {
        do {
            switch request.head.txCode {
            case "BAL.QUERY": return try await balances(request)
            case "DTL.QUERY": return try await details(request)
            case "PAY.SINGLE": return Self.payment(try await engine.submit(try paymentOrder(request)))
            case "PAY.BATCH": return Self.payment(try await engine.submit(try batchOrder(request)))
            case "PAY.PREVALIDATE": return Self.preValidation(try await engine.preValidate(try paymentOrder(request)))
            case "PAY.STATUS": return try await status(request)
            case "PAY.CANCEL":
                let result = try await engine.cancel(try cancelCommand(request))
                return Self.payment(result, originalSerial: try await originalSerial(of: request, result))
            case "APR.APPROVE", "APR.REJECT":
                let result = try await engine.decide(try approvalCommand(request))
                return Self.payment(result, originalSerial: try await originalSerial(of: request, result))
            case "APR.PENDING": return try await pending(request)
            case "SYS.TIME": return (.ok, ResponseBody("TimeResult") { $0.add("ServerTime", Timestamps.format(now)) })
            case "AUD.CHECKPOINT": return try await checkpoint()
            case "AUD.PROOF": return try await proof(request)
            default:
                throw GatewayRejection(.requestInvalid, "\(request.head.txCode) is not served by this daemon", path: "/Message/Head/TxCode")
            }
        } catch let rejection as GatewayRejection {
            throw rejection
        } catch let refusal as EngineError {
            if refusal.code == .storageFailure {
                // The peer gets a fixed message (`EngineError.rejection`); SQLite's own text is for the log only.
                logger.error("engine storage failure", metadata: [
                    "corp": "\(request.head.corpId)", "serial": "\(request.head.serialNo)", "tx": "\(request.head.txCode)",
                    "error": "\(refusal.reason)",
                ])
            }
            throw refusal.rejection
        } catch {
            // Not a business answer: the outcome is unknown to the client, who must query with the same serial.
            logger.error("engine failure", metadata: ["tx": "\(request.head.txCode)", "error": "\(error)"])
            throw GatewayRejection(.serviceUnavailable, "the engine did not answer; query with the same SerialNo")
        }
    }

    // MARK: Queries

    private func balances(_ request: ParsedRequest) async throws -> (ResponseStatus, ResponseBody) {
        let accounts = request.body.all("AccountNo")
        try request.authorise("QUERY", accounts: accounts)
        let results = try await engine.balances(corporation: request.head.corpId, accounts: accounts)
        return (.ok, ResponseBody("BalanceResult") { element in
            for balance in results {
                let account = element.add("Account")
                account.add("AccountNo", balance.account)
                account.add("Currency", balance.currency.code)
                account.add("Balance", Money.format(minorUnits: balance.balanceMinor))
                account.add("Available", Money.format(minorUnits: balance.availableMinor))
                account.add("Status", balance.status.rawValue)
            }
        })
    }

    private func details(_ request: ParsedRequest) async throws -> (ResponseStatus, ResponseBody) {
        let body = request.body
        let account = try body.required("AccountNo")
        try request.authorise("QUERY", accounts: [account])
        guard let from = try body.date("FromDate"), let to = try body.date("ToDate") else {
            throw GatewayRejection(.requestInvalid, "FromDate and ToDate are required", path: body.element.path)
        }
        let pageSize = body.text("PageSize").flatMap(Int.init) ?? 100
        let page = try await engine.transactionDetails(corporation: request.head.corpId, account: account, from: from, to: to,
                                                       pageSize: pageSize, continuation: body.text("ContinuationToken"))
        return (.ok, ResponseBody("DetailResult") { element in
            element.add("AccountNo", account)
            for entry in page.entries {
                let item = element.add("Entry")
                item.add("BookingTime", Timestamps.format(Date(timeIntervalSince1970: TimeInterval(entry.atEpochSeconds))))
                item.add("BusinessDate", entry.businessDate.description)
                item.add("Direction", entry.amountMinor < 0 ? "D" : "C")
                item.add("Amount", Money.format(minorUnits: Int64(entry.amountMinor.magnitude)))
                item.add("Currency", entry.currency.code)
                item.addIfPresent("BankRef", entry.bankReference)
                item.addIfPresent("Counterparty", entry.counterparty.map(ResponseBuilder.clip))
                item.addIfPresent("Purpose", entry.memo.isEmpty ? nil : ResponseBuilder.clip(entry.memo))
            }
            element.add("More", page.more ? "true" : "false")
            element.addIfPresent("ContinuationToken", page.continuation)
        })
    }

    private func status(_ request: ParsedRequest) async throws -> (ResponseStatus, ResponseBody) {
        let view = try await engine.paymentStatus(corporation: request.head.corpId, reference: try request.body.paymentReference().engine)
        try request.authorise("QUERY", accounts: [view.debitAccount])
        return (.ok, Self.body(of: view))
    }

    private func pending(_ request: ParsedRequest) async throws -> (ResponseStatus, ResponseBody) {
        let list = try await engine.pendingApprovals(corporation: request.head.corpId, operatorId: request.head.operatorId)
        let account = request.body.text("AccountNo")
        let shown = list.filter { account == nil || $0.debitAccount == account }.prefix(500)
        return (.ok, ResponseBody("PendingApprovalsResult") { element in
            for item in shown {
                let entry = element.add("Pending")
                entry.add("BankRef", item.bankReference)
                entry.add("OrigSerialNo", item.serial)
                entry.add("Amount", item.amount.decimalText)
                entry.add("OrderDigest", item.orderDigest)
                entry.add("RuleId", item.ruleId)
                entry.add("Level", "\(item.level)")
                entry.add("ExpiresAt", Timestamps.format(Date(timeIntervalSince1970: TimeInterval(item.expiresAtEpochSeconds))))
            }
        })
    }

    /// A decision or cancel names the payment it acted on by the payment's own serial, not the command's.
    private func originalSerial(of request: ParsedRequest, _ result: CommandResult) async throws -> String? {
        if case .serial(let serial) = try request.body.paymentReference() { return serial }
        guard let reference = result.bankReference else { return nil }
        return try? await engine.paymentStatus(corporation: request.head.corpId, reference: .bankReference(reference)).serial
    }

    // MARK: Audit

    private func checkpoint() async throws -> (ResponseStatus, ResponseBody) {
        guard let audit else { throw GatewayRejection(.serviceUnavailable, "the audit log is not enabled on this daemon") }
        guard let view = try await audit.latestCheckpoint() else {
            throw GatewayRejection(.serviceUnavailable, "no checkpoint has been signed yet; retry in a minute")
        }
        return (.ok, ResponseBody("CheckpointResult") { Self.fill($0, with: view) })
    }

    private func proof(_ request: ParsedRequest) async throws -> (ResponseStatus, ResponseBody) {
        guard let audit else { throw GatewayRejection(.serviceUnavailable, "the audit log is not enabled on this daemon") }
        let serial = try request.body.required("OrigSerialNo")
        guard let view = try await audit.inclusion(corpId: request.head.corpId, serialNo: serial), !view.entries.isEmpty else {
            throw GatewayRejection(.paymentUnknown, "no audit record of \(serial) under a signed checkpoint yet", path: "/Message/Body/ProofQuery/OrigSerialNo")
        }
        return (.ok, ResponseBody("ProofResult") { element in
            Self.fill(element, with: view.checkpoint)
            for entry in view.entries.prefix(16) {
                let item = element.add("Entry")
                item.add("LeafIndex", "\(entry.leafIndex)")
                item.add("LeafHash", entry.leafHash.hexString)
                item.add("Record", Base64.encode(entry.record))
                for hash in entry.proof.prefix(64) { item.add("Hash", hash.hexString) }
            }
        })
    }

    static func fill(_ element: XMLElement, with checkpoint: AuditCheckpointView) {
        element.add("TreeSize", "\(checkpoint.treeSize)")
        element.add("RootHash", checkpoint.rootHash.hexString)
        element.add("Time", Timestamps.format(checkpoint.time))
        element.add("Signature", Base64.encode(checkpoint.signature))
        element.add("SignedText", Base64.encode(checkpoint.signedText))
    }

    // MARK: Commands

    private func paymentOrder(_ request: ParsedRequest) throws(GatewayRejection) -> PaymentOrder {
        let body = request.body
        let currency = try body.currency()
        return PaymentOrder(
            corporation: request.head.corpId, operatorId: request.head.operatorId, serial: request.head.serialNo,
            transactionType: "PAY.SINGLE", debitAccount: try body.required("DebitAccount"),
            creditAccount: try body.required("CreditAccount"), payeeName: try body.required("CreditName"),
            payeeBankCode: body.text("CreditBankCode"), amount: try body.money("Amount", currency: currency),
            requestedChannel: try body.channel(), urgent: body.text("Urgency") == "URGENT", valueDate: try body.date("ValueDate"),
            memo: body.text("Purpose") ?? "", accessChannel: .directLink, orderDigest: request.message.messageDigest
        )
    }

    private func batchOrder(_ request: ParsedRequest) throws(GatewayRejection) -> BatchOrder {
        let body = request.body
        let currency = try body.currency()
        guard let list = body.child("Items") else {
            throw GatewayRejection(.batchInvalid, "Items is required", path: body.element.path)
        }
        var items: [BatchItem] = []
        var total = Money.zero(currency)
        for item in list.children("Item") {
            let amount = try item.money("Amount", currency: currency)
            guard let sum = total.adding(amount) else {
                throw GatewayRejection(.batchInvalid, "the item amounts overflow", path: item.element.path)
            }
            total = sum
            items.append(BatchItem(creditAccount: try item.required("CreditAccount"), payeeName: try item.required("CreditName"),
                                   payeeBankCode: item.text("CreditBankCode"), amount: amount, memo: item.text("Purpose") ?? ""))
        }
        guard Int(try body.required("ItemCount")) == items.count else {
            throw GatewayRejection(.batchInvalid, "ItemCount says \(body.text("ItemCount") ?? "?"), the batch has \(items.count) items", path: "\(body.element.path)/ItemCount")
        }
        let declared = try body.money("TotalAmount", currency: currency)
        guard declared == total else {
            throw GatewayRejection(.batchInvalid, "TotalAmount says \(declared.decimalText), the items add up to \(total.decimalText)", path: "\(body.element.path)/TotalAmount")
        }
        return BatchOrder(corporation: request.head.corpId, operatorId: request.head.operatorId, serial: request.head.serialNo,
                          transactionType: "PAY.BATCH", debitAccount: try body.required("DebitAccount"), items: items,
                          valueDate: try body.date("ValueDate"), accessChannel: .directLink, orderDigest: request.message.messageDigest)
    }

    private func cancelCommand(_ request: ParsedRequest) throws(GatewayRejection) -> CancelCommand {
        CancelCommand(corporation: request.head.corpId, operatorId: request.head.operatorId, serial: request.head.serialNo,
                      payment: try request.body.paymentReference().engine)
    }

    private func approvalCommand(_ request: ParsedRequest) throws(GatewayRejection) -> ApprovalCommand {
        ApprovalCommand(corporation: request.head.corpId, operatorId: request.head.operatorId, serial: request.head.serialNo,
                        payment: try request.body.paymentReference().engine,
                        decision: request.head.txCode == "APR.APPROVE" ? .approve : .reject,
                        orderDigest: try request.body.required("OrderDigest"), messageDigest: request.message.messageDigest,
                        certificateFingerprint: request.message.signer.identity.fingerprintSHA256)
    }
}

extension PaymentReferenceText {
    var engine: PaymentReference {
        switch self {
        case .serial(let serial): .serial(serial)
        case .bankReference(let reference): .bankReference(reference)
        }
    }
}
