import DirectLinkGateway
import DirectLinkMessage
import DirectLinkServer
import Foundation
import Testing

/// End-to-end tests of the daemon: an in-process `Daemon` over real mutual TLS on 127.0.0.1, the demo PKI's keys,
/// and a fresh database in a temporary directory per test. Serialized: each test owns a daemon, and the timing
/// tests must not compete for the two cores with a dozen other daemons.
@Suite(.serialized) struct DaemonEndToEndTests {}

/// Every transaction code the daemon serves, on both framings, answered with a signed response that verifies and
/// validates against the schema.
extension DaemonEndToEndTests {
    @Test(arguments: framings) func balanceQueryReturnsSeedBalances(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            let reply = try await bank.send(try Request.signed("balance-query"), on: client)
            #expect(reply.retCode == "0000", "\(reply.summary)")
            #expect(reply.resultName == "BalanceResult")
            let accounts = reply.all("Account")
            #expect(accounts.map { $0.field("AccountNo") } == [Seed.basicAccount, Seed.generalAccount])
            #expect(accounts.map { $0.field("Balance") } == ["10000000.00", "2000000.00"])
            #expect(accounts.first?.field("Currency") == "CNY")
        }
    }

    @Test(arguments: framings) func intraBankPaymentSettlesAndStatusShowsIt(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            let serial = MessageTemplate.freshSerial()
            let order = try Request.intraBankPayment(serial: serial)
            let paid = try await bank.send(order, on: client)
            #expect(paid.retCode == "0000", "\(paid.summary)")
            #expect(paid.serialNo == serial)
            #expect(paid.resultName == "PaymentResult")
            #expect(paid.field("Status") == "SETTLED")
            #expect(paid.field("Channel") == "INTERNAL")
            #expect(paid.field("Final") == "true")
            #expect(paid.field("Iso20022Status") == "ACSC")
            #expect(paid.field("OrigSerialNo") == serial)
            let bankRef = try #require(paid.field("BankRef"))

            let status = try await bank.send(try Request.signed("payment-status", [("OrigSerialNo", serial)]), on: client)
            #expect(status.retCode == "0000", "\(status.summary)")
            #expect(status.field("Status") == "SETTLED")
            #expect(status.field("BankRef") == bankRef)
            #expect(status.field("Amount") == "12500.00")
            #expect(status.field("OrderDigest") == (try bank.orderDigest(order)))

            let balances = try await bank.send(try Request.signed("balance-query"), on: client)
            #expect(balances.all("Account").map { $0.field("Balance") } == ["9987500.00", "2012500.00"])
        }
    }

    @Test(arguments: framings) func interBankPaymentIsRoutedToAClearingChannel(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            // 12,500.00 to bank 105290000011, not urgent: under the IBPS cap (50,000.00), and IBPS runs 7×24.
            let paid = try await bank.send(try Request.signed("single-payment"), on: client)
            #expect(paid.retCode == "0000", "\(paid.summary)")
            #expect(paid.field("Channel") == "IBPS")
            #expect(["RELEASED", "SETTLED"].contains(paid.field("Status") ?? "-"), "status \(paid.field("Status") ?? "-")")
            #expect(paid.field("BankRef") != nil)
        }
    }

    @Test(arguments: framings) func detailQueryPagesWithContinuationToken(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            for amount in ["1.00", "2.00", "3.00"] {
                let paid = try await bank.send(try Request.intraBankPayment(amount: amount), on: client)
                #expect(paid.retCode == "0000", "\(paid.summary)")
            }
            let today = shanghaiDate()
            let yesterday = shanghaiDate(Date().addingTimeInterval(-86_400))
            var token: String?
            var amounts: [String] = []
            var pages = 0
            repeat {
                // The template has no ContinuationToken; the schema puts it last, after PageSize.
                let edits = token.map { [("</DetailQuery>", "<ContinuationToken>\($0)</ContinuationToken></DetailQuery>")] } ?? []
                let query = try Request.signed("detail-query", [("FromDate", yesterday), ("ToDate", today), ("PageSize", "2")], text: edits)
                let page = try await bank.send(query, on: client)
                #expect(page.retCode == "0000", "\(page.summary)")
                #expect(page.field("AccountNo") == Seed.basicAccount)
                let entries = page.all("Entry")
                #expect(entries.count <= 2)
                amounts += entries.compactMap { $0.field("Amount") }
                pages += 1
                let more = page.field("More") == "true"
                token = more ? page.field("ContinuationToken") : nil
                if more { #expect(token != nil, "More=true needs a ContinuationToken") }
                if let token {
                    // The token must be sendable back: DetailQuery/ContinuationToken is [A-Za-z0-9_-]{1,128} in the schema.
                    #expect(token.wholeMatch(of: /[A-Za-z0-9_\-]{1,128}/) != nil, "ContinuationToken \(token) does not match the request schema's pattern")
                }
            } while token != nil && pages < 10
            #expect(pages >= 2, "three payments with PageSize 2 must take more than one page")
            for amount in ["1.00", "2.00", "3.00"] {
                #expect(amounts.contains(amount), "debit of \(amount) missing from \(amounts)")
            }
        }
    }

    @Test(arguments: framings) func batchPaymentAnswersPerItem(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            let batch = try await bank.send(try Request.signed("batch-payment"), on: client)
            #expect(batch.retCode == "0000", "\(batch.summary)")
            #expect(batch.resultName == "BatchResult")
            #expect(batch.field("BankRef") != nil)
            let items = batch.all("Item")
            #expect(items.map { $0.field("ItemNo") } == ["1", "2", "3"])
            #expect(items.allSatisfy { $0.field("BankRef") != nil && $0.field("Status") != nil })
            #expect(!["FAILED"].contains(batch.field("Status") ?? "-"), "batch status \(batch.field("Status") ?? "-")")
        }
    }

    @Test(arguments: framings) func preValidationNamesApprovalRuleAndLimits(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            // 250,000.00: at or above A-LARGE's 100,000.00.
            let check = try await bank.send(try Request.signed("prevalidate"), on: client)
            #expect(check.retCode == "0000", "\(check.summary)")
            #expect(check.resultName == "PreValidateResult")
            #expect(check.field("ApprovalRuleId") == "A-LARGE")
            #expect(check.all("ApprovalLevel").map { $0.field("Role") } == ["approver", "admin"])
            #expect(check.field("FundsSufficient") == "true")
            #expect(check.field("Channel") != nil)
            #expect(!check.all("Limit").isEmpty)
            #expect(check.field("WouldRefuse") == nil)
            // A dry run: nothing was debited.
            let balances = try await bank.send(try Request.signed("balance-query"), on: client)
            #expect(balances.all("Account").first?.field("Balance") == "10000000.00")
        }
    }

    @Test(arguments: framings) func cancelOfPaymentPendingApproval(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            let serial = MessageTemplate.freshSerial()
            let made = try await bank.send(try Request.intraBankPayment(serial: serial, amount: Seed.largeAmount), on: client)
            #expect(made.retCode == "0000", "\(made.summary)")
            #expect(made.field("Status") == "PENDING_APPROVAL")
            #expect(made.field("Final") == "false")

            let cancelled = try await bank.send(try Request.signed("cancel", [("OrigSerialNo", serial)]), on: client)
            #expect(cancelled.retCode == "0000", "\(cancelled.summary)")
            #expect(cancelled.field("Status") == "CANCELLED")
            #expect(cancelled.field("Iso20022Status") == "CANC")
            #expect(cancelled.field("Final") == "true")
            let status = try await bank.send(try Request.signed("payment-status", [("OrigSerialNo", serial)]), on: client)
            #expect(status.field("Status") == "CANCELLED")
        }
    }

    @Test(arguments: framings) func approverAndAdminApproveWithOrderDigest(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            let serial = MessageTemplate.freshSerial()
            let order = try Request.intraBankPayment(serial: serial, amount: Seed.largeAmount)
            let digest = try bank.orderDigest(order)
            let made = try await bank.send(order, on: client)
            #expect(made.field("Status") == "PENDING_APPROVAL", "\(made.summary)")

            let pending = try await bank.send(try Request.signed("pending-approvals", by: .corpAApprover1), on: client)
            #expect(pending.retCode == "0000", "\(pending.summary)")
            let first = try #require(pending.all("Pending").first)
            #expect(first.field("OrigSerialNo") == serial)
            #expect(first.field("OrderDigest") == digest)
            #expect(first.field("RuleId") == "A-LARGE")
            #expect(first.field("Level") == "1")
            #expect(first.field("Amount") == Seed.largeAmount)

            let level1 = try await bank.send(try Request.signed("approve", by: .corpAApprover1, [("OrigSerialNo", serial), ("OrderDigest", digest)]), on: client)
            #expect(level1.retCode == "0000", "\(level1.summary)")
            #expect(level1.field("Status") == "PENDING_APPROVAL", "A-LARGE still needs the admin")

            let adminView = try await bank.send(try Request.signed("pending-approvals", by: .corpAAdmin, [("OperatorId", "ADMIN01")]), on: client)
            #expect(adminView.all("Pending").first?.field("Level") == "2")

            let level2 = try await bank.send(try Request.signed("approve", by: .corpAAdmin, [("OperatorId", "ADMIN01"), ("OrigSerialNo", serial), ("OrderDigest", digest)]), on: client)
            #expect(level2.retCode == "0000", "\(level2.summary)")
            #expect(level2.field("Status") == "SETTLED")
            #expect(level2.field("Final") == "true")
            let after = try await bank.send(try Request.signed("pending-approvals", by: .corpAApprover1), on: client)
            #expect(after.all("Pending").isEmpty)
        }
    }

    @Test(arguments: framings) func approverRejectsWithOrderDigest(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            let serial = MessageTemplate.freshSerial()
            let order = try Request.intraBankPayment(serial: serial, amount: Seed.largeAmount)
            let digest = try bank.orderDigest(order)
            #expect(try await bank.send(order, on: client).field("Status") == "PENDING_APPROVAL")

            let pending = try await bank.send(try Request.signed("pending-approvals", by: .corpAApprover2, [("OperatorId", "APPR02")]), on: client)
            #expect(pending.all("Pending").first?.field("OrderDigest") == digest)

            let rejected = try await bank.send(try Request.signed("reject", by: .corpAApprover2, [("OrigSerialNo", serial), ("OrderDigest", digest)]), on: client)
            // A rejection is an outcome, not a refusal: the envelope is OK and the business status says REJECTED.
            #expect(rejected.retCode == "0000", "\(rejected.summary)")
            #expect(rejected.field("Status") == "REJECTED")
            #expect(rejected.field("Iso20022Status") == "RJCT")
            #expect(rejected.field("Final") == "true")
            // The hold is released: the balance is untouched.
            let balances = try await bank.send(try Request.signed("balance-query"), on: client)
            #expect(balances.all("Account").first?.field("Available") == "10000000.00")
        }
    }

    @Test(arguments: framings) func serverTimeIsTheBankClock(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            let reply = try await bank.send(try Request.signed("server-time"), on: client)
            #expect(reply.retCode == "0000", "\(reply.summary)")
            #expect(reply.resultName == "TimeResult")
            let serverTime = try #require(reply.field("ServerTime").flatMap(Timestamps.parse))
            #expect(abs(serverTime.timeIntervalSinceNow) < 60)
        }
    }

    @Test(arguments: framings) func cmsRequestGetsCMSResponse(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            let request = try Operator.corpAMaker.signer().signCMS(try Request.make("balance-query"))
            let bytes = try await client.send(request)
            #expect(MessageVerifier.detectBinding(bytes) == .cms)
            let reply = try bank.read(bytes)
            #expect(reply.message.binding == .cms)
            #expect(reply.retCode == "0000", "\(reply.summary)")
            #expect(reply.all("Account").count == 2)
        }
    }
}
