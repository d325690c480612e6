import DirectLinkLedger
import Foundation
import GRDB

/// One row of `payments`: a single payment, a payroll batch, or one item of a batch.
struct PaymentRecord: Sendable {
    enum Kind: String, Sendable { case single = "SINGLE", batch = "BATCH", item = "ITEM" }

    var id: Int64 = 0
    var corporation: String
    var serial: String?
    var kind: Kind
    var batchId: Int64?
    var itemNumber: Int?
    var transactionType: String
    var operatorId: String
    var accessChannel: AccessChannel
    var debitAccount: String
    var creditAccount: String
    var payeeName: String
    var payeeBank: String
    var amount: Money
    var requestedChannel: Channel?
    var urgent: Bool
    var valueDate: BusinessDate?
    var memo: String
    /// For a batch: a digest of its items, so a resend with other items is a conflict.
    var contentDigest: String?
    var orderDigest: String
    var channel: Channel?
    var status: PaymentStatus
    var error: EngineError?
    var holdMinor: Int64
    /// Limit usage buckets consumed at acceptance: released by the same keys.
    var limitKeys: [String]
    var approval: ApprovalFlow?
    var expiresAt: Int64?
    var acceptedDate: BusinessDate
    var returnPending: Bool = false
    var createdAt: Int64
    var updatedAt: Int64

    var bankReference: String { PaymentRecord.bankReference(id) }

    static func bankReference(_ id: Int64) -> String {
        let digits = String(id)
        return "DL" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }

    static func id(fromBankReference reference: String) -> Int64? {
        guard reference.hasPrefix("DL"), reference.utf8.count == 14 else { return nil }
        return Int64(reference.dropFirst(2))
    }

    var iso20022: String {
        if status == .pendingApproval, approval?.isPartiallyApproved == true { return "PATC" }
        return status.iso20022
    }

    static let insertSQL = """
        INSERT INTO payments (corporation, serial, kind, batch_id, item_number, transaction_type, operator_id,
            access_channel, debit_account, credit_account, payee_name, payee_bank, amount_minor, currency,
            requested_channel, urgent, value_date, memo, content_digest, order_digest, channel, status, error_code,
            error_reason, error_field, error_rule, error_headroom, hold_minor, limit_keys, approval, expires_at,
            accepted_date, return_pending, created_at, updated_at)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
        """

    static let updateSQL: StaticString = """
        UPDATE payments SET channel = ?, status = ?, error_code = ?, error_reason = ?, error_field = ?, error_rule = ?,
            error_headroom = ?, hold_minor = ?, limit_keys = ?, approval = ?, return_pending = ?, updated_at = ?
        WHERE id = ?
        """

    /// Binds the row for `insertSQL`, without boxing, on the writer's hot path.
    func bindInsert(_ statement: HotStatement) {
        statement.bind(1, corporation); statement.bind(2, serial); statement.bind(3, kind.rawValue)
        statement.bind(4, batchId); statement.bind(5, itemNumber.map(Int64.init)); statement.bind(6, transactionType)
        statement.bind(7, operatorId); statement.bind(8, accessChannel.rawValue); statement.bind(9, debitAccount)
        statement.bind(10, creditAccount); statement.bind(11, payeeName); statement.bind(12, payeeBank)
        statement.bind(13, amount.minorUnits); statement.bind(14, amount.currency.code); statement.bind(15, requestedChannel?.rawValue)
        statement.bind(16, urgent); statement.bind(17, valueDate?.description); statement.bind(18, memo)
        statement.bind(19, contentDigest); statement.bind(20, orderDigest); statement.bind(21, channel?.rawValue)
        statement.bind(22, status.rawValue); statement.bind(23, error.map { Int64($0.code.rawValue) }); statement.bind(24, error?.reason)
        statement.bind(25, error?.field); statement.bind(26, error?.ruleId); statement.bind(27, error?.headroom)
        statement.bind(28, holdMinor); statement.bind(29, limitKeys.isEmpty ? "" : limitKeys.joined(separator: "\n"))
        statement.bind(30, approvalJSON); statement.bind(31, expiresAt); statement.bind(32, acceptedDate.description)
        statement.bind(33, returnPending); statement.bind(34, createdAt); statement.bind(35, updatedAt)
    }

    var updateArguments: StatementArguments {
        [channel?.rawValue, status.rawValue, error.map { $0.code.rawValue }, error?.reason, error?.field, error?.ruleId,
         error?.headroom, holdMinor, limitKeys.joined(separator: "\n"), approvalJSON, returnPending, updatedAt, id]
    }

    private var approvalJSON: String? {
        guard let approval else { return nil }
        // Encoding a plain Codable value of strings and integers cannot fail.
        guard let data = try? JSONEncoder().encode(approval) else { preconditionFailure("ApprovalFlow always encodes") }
        return String(decoding: data, as: UTF8.self)
    }

    init(corporation: String, serial: String?, kind: Kind, batchId: Int64? = nil, itemNumber: Int? = nil,
         transactionType: String, operatorId: String, accessChannel: AccessChannel, debitAccount: String,
         creditAccount: String, payeeName: String, payeeBank: String, amount: Money, requestedChannel: Channel?,
         urgent: Bool, valueDate: BusinessDate?, memo: String, contentDigest: String?, orderDigest: String,
         acceptedDate: BusinessDate, now: Int64) {
        self.corporation = corporation
        self.serial = serial
        self.kind = kind
        self.batchId = batchId
        self.itemNumber = itemNumber
        self.transactionType = transactionType
        self.operatorId = operatorId
        self.accessChannel = accessChannel
        self.debitAccount = debitAccount
        self.creditAccount = creditAccount
        self.payeeName = payeeName
        self.payeeBank = payeeBank
        self.amount = amount
        self.requestedChannel = requestedChannel
        self.urgent = urgent
        self.valueDate = valueDate
        self.memo = memo
        self.contentDigest = contentDigest
        self.orderDigest = orderDigest
        self.channel = nil
        self.status = .received
        self.error = nil
        self.holdMinor = 0
        self.limitKeys = []
        self.approval = nil
        self.expiresAt = nil
        self.acceptedDate = acceptedDate
        self.createdAt = now
        self.updatedAt = now
    }

    init(row: Row) throws {
        id = row["id"]
        corporation = row["corporation"]
        serial = row["serial"]
        guard let kind = Kind(rawValue: row["kind"]),
              let access = AccessChannel(rawValue: row["access_channel"]),
              let currency = Currency(row["currency"] as String),
              let status = PaymentStatus(rawValue: row["status"]),
              let accepted = BusinessDate(row["accepted_date"] as String) else {
            throw StoreCorruption("payment \(row["id"] as Int64? ?? -1) has an unreadable enumeration")
        }
        self.kind = kind
        batchId = row["batch_id"]
        itemNumber = row["item_number"]
        transactionType = row["transaction_type"]
        operatorId = row["operator_id"]
        accessChannel = access
        debitAccount = row["debit_account"]
        creditAccount = row["credit_account"]
        payeeName = row["payee_name"]
        payeeBank = row["payee_bank"]
        amount = Money(minorUnits: row["amount_minor"], currency: currency)
        requestedChannel = (row["requested_channel"] as String?).flatMap(Channel.init(rawValue:))
        urgent = row["urgent"]
        valueDate = (row["value_date"] as String?).flatMap(BusinessDate.init)
        memo = row["memo"]
        contentDigest = row["content_digest"]
        orderDigest = row["order_digest"]
        channel = (row["channel"] as String?).flatMap(Channel.init(rawValue:))
        self.status = status
        if let code = (row["error_code"] as Int?).flatMap(EngineErrorCode.init(rawValue:)) {
            error = EngineError(code, row["error_reason"] ?? "", field: row["error_field"], ruleId: row["error_rule"], headroom: row["error_headroom"])
        } else {
            error = nil
        }
        holdMinor = row["hold_minor"]
        let keys: String = row["limit_keys"]
        limitKeys = keys.isEmpty ? [] : keys.split(separator: "\n").map(String.init)
        if let json = row["approval"] as String? {
            approval = try JSONDecoder().decode(ApprovalFlow.self, from: Data(json.utf8))
        } else {
            approval = nil
        }
        expiresAt = row["expires_at"]
        acceptedDate = accepted
        returnPending = row["return_pending"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
    }

    func itemResult() -> ItemResult {
        ItemResult(itemNumber: itemNumber ?? 0, bankReference: bankReference, status: status, channel: channel, error: error)
    }
}

/// The database holds something the engine never writes: a bug or outside tampering.
struct StoreCorruption: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
