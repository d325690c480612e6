import DirectLinkXML

/// The fields of `<Head>`. Response-only fields are nil in requests.
public struct MessageHead: Sendable, Equatable, Codable {
    public var txCode: String
    public var corpId: String
    public var operatorId: String
    public var serialNo: String
    public var timestamp: String
    public var retCode: String?

    public init(txCode: String, corpId: String, operatorId: String, serialNo: String, timestamp: String, retCode: String? = nil) {
        self.txCode = txCode
        self.corpId = corpId
        self.operatorId = operatorId
        self.serialNo = serialNo
        self.timestamp = timestamp
        self.retCode = retCode
    }
}

/// The envelope rules every binding shares: root `{urn:directlink:1}Message`, exactly one `Head`, exactly one
/// `Body` holding exactly one element, and the `ds:Signature` placement the binding requires.
enum Envelope {
    /// Request body element for each transaction code; responses carry a result element or `ErrorResult`.
    static let bodies: [String: (request: String, responses: Set<String>)] = [
        "BAL.QUERY": ("BalanceQuery", ["BalanceResult"]),
        "DTL.QUERY": ("DetailQuery", ["DetailResult"]),
        "PAY.SINGLE": ("SinglePayment", ["PaymentResult"]),
        "PAY.BATCH": ("BatchPayment", ["BatchResult"]),
        "PAY.PREVALIDATE": ("PreValidate", ["PreValidateResult"]),
        "PAY.STATUS": ("PaymentStatusQuery", ["PaymentResult", "BatchResult"]),
        "PAY.CANCEL": ("CancelPayment", ["PaymentResult", "BatchResult"]),
        "APR.APPROVE": ("ApprovePayment", ["PaymentResult", "BatchResult"]),
        "APR.REJECT": ("RejectPayment", ["PaymentResult", "BatchResult"]),
        "APR.PENDING": ("PendingApprovalsQuery", ["PendingApprovalsResult"]),
        "SYS.TIME": ("TimeQuery", ["TimeResult"]),
        "AUD.CHECKPOINT": ("CheckpointQuery", ["CheckpointResult"]),
        "AUD.PROOF": ("ProofQuery", ["ProofResult"]),
    ]

    enum SignaturePlacement {
        /// XML-DSig binding: exactly one ds:Signature, first or last child of Message.
        case enveloped
        /// CMS binding: no ds:Signature anywhere.
        case none
    }

    /// Checks the structure and returns `(head, body, signature)` elements.
    static func check(_ root: XMLElement, placement: SignaturePlacement) throws(MessageRejection) -> (head: XMLElement, body: XMLElement, signature: XMLElement?) {
        guard root.isNamed("Message", in: Namespace.directLink) else {
            throw MessageRejection(.envelopeStructure, "root element must be {\(Namespace.directLink)}Message, found {\(root.namespaceURI ?? "")}\(root.name)", path: root.path)
        }
        // One pass over Message's children, in place: this runs for every inbound message.
        var head: XMLElement?, body: XMLElement?, signature: XMLElement?, stranger: XMLElement?
        var heads = 0, bodies = 0
        var first: XMLElement?, last: XMLElement?
        var next = root.firstChildElement
        while let child = next {
            if first == nil { first = child }
            last = child
            if child.isNamed("Head", in: Namespace.directLink) {
                heads += 1
                if head == nil { head = child }
            } else if child.isNamed("Body", in: Namespace.directLink) {
                bodies += 1
                if body == nil { body = child }
            } else if child.isNamed("Signature", in: Namespace.xmlDSig) {
                if signature == nil { signature = child }
            } else if stranger == nil {
                stranger = child
            }
            next = child.nextSiblingElement
        }
        let signatureCount = root.countDescendants(named: "Signature", in: Namespace.xmlDSig)
        guard heads == 1, let head else {
            throw MessageRejection(.envelopeStructure, "Message must contain exactly one Head (found \(heads))", path: root.path)
        }
        guard bodies == 1, let body else {
            throw MessageRejection(.envelopeStructure, "Message must contain exactly one Body (found \(bodies))", path: root.path)
        }
        if let stranger {
            throw MessageRejection(.envelopeStructure, "unexpected element {\(stranger.namespaceURI ?? "")}\(stranger.name) in Message", path: stranger.path)
        }
        if root.hasNonWhitespaceText {
            throw MessageRejection(.envelopeStructure, "Message may contain only elements", path: root.path)
        }
        let transactions = body.childElementCount
        guard transactions == 1 else {
            throw MessageRejection(.envelopeStructure, "Body must contain exactly one transaction element (found \(transactions))", path: body.path)
        }
        switch placement {
        case .none:
            if signatureCount > 0 {
                let found = root.descendants(named: "Signature", in: Namespace.xmlDSig)
                throw MessageRejection(.signatureMultiple, "the CMS binding carries no ds:Signature inside the XML", path: found.first?.path)
            }
            return (head, body, nil)
        case .enveloped:
            guard signatureCount > 0 else {
                throw MessageRejection(.signatureMissing, "Message has no ds:Signature", path: root.path)
            }
            guard signatureCount == 1 else {
                let found = root.descendants(named: "Signature", in: Namespace.xmlDSig)
                throw MessageRejection(.signatureMultiple, "Message has \(signatureCount) ds:Signature elements; exactly one is accepted", path: found.dropFirst().first?.path)
            }
            guard let signature else {
                let found = root.descendants(named: "Signature", in: Namespace.xmlDSig)
                throw MessageRejection(.signaturePlacement, "ds:Signature must be a direct child of Message", path: found.first?.path)
            }
            guard let first, let last, first.isSameNode(as: signature) || last.isSameNode(as: signature) else {
                throw MessageRejection(.signaturePlacement, "ds:Signature must be the first or the last child of Message", path: signature.path)
            }
            return (head, body, signature)
        }
    }

    /// Reads the Head fields (the schema has already required them when validation is on). A response to a request
    /// that could not be read may omit TxCode, CorpId, OperatorId and SerialNo; they are read as empty.
    private static let headFieldNames = ["TxCode", "CorpId", "OperatorId", "SerialNo", "Timestamp", "RetCode"]

    static func head(_ head: XMLElement) throws(MessageRejection) -> MessageHead {
        // One pass over Head's children; the first element of each name counts, as `child(_:in:)` would pick it.
        let names = headFieldNames
        var values: [String?] = Array(repeating: nil, count: names.count)
        var next = head.firstChildElement
        while let child = next {
            next = child.nextSiblingElement
            guard let slot = names.firstIndex(where: { child.isNamed($0, in: Namespace.directLink) }), values[slot] == nil else { continue }
            // The schema collapses white space around these tokens; read them the way it checked them.
            values[slot] = child.text.trimmingXMLWhitespace
        }
        let retCode = values[5]
        func field(_ slot: Int) throws(MessageRejection) -> String {
            guard let value = values[slot] else {
                if retCode != nil && slot != 4 { return "" }
                throw MessageRejection(.envelopeStructure, "Head has no \(names[slot])", path: head.path)
            }
            return value
        }
        return MessageHead(
            txCode: try field(0),
            corpId: try field(1),
            operatorId: try field(2),
            serialNo: try field(3),
            timestamp: try field(4),
            retCode: retCode
        )
    }

    /// The Head fields of a message that failed verification, for echoing in the signed error response: each is
    /// kept only if it has the schema's shape, so nothing unbounded or unexpected is reflected.
    static func peekHead(_ bytes: [UInt8], limits: XMLLimits) -> (txCode: String?, corpId: String?, operatorId: String?, serialNo: String?) {
        guard let document = try? XMLDocument.parse(bytes, limits: limits), document.root.isNamed("Message", in: Namespace.directLink),
              let head = document.root.child("Head", in: Namespace.directLink) else { return (nil, nil, nil, nil) }
        func value(_ name: String, _ allowed: (UInt8) -> Bool, _ lengths: ClosedRange<Int>) -> String? {
            guard let text = head.child(name, in: Namespace.directLink)?.text.trimmingXMLWhitespace,
                  lengths.contains(text.utf8.count), text.utf8.allSatisfy(allowed) else { return nil }
            return text
        }
        let upperDigit = { (byte: UInt8) in (65...90).contains(byte) || (48...57).contains(byte) }
        let word = { (byte: UInt8) in upperDigit(byte) || (97...122).contains(byte) || byte == UInt8(ascii: "_") }
        let txCode = head.child("TxCode", in: Namespace.directLink).map(\.text.trimmingXMLWhitespace).flatMap { bodies[$0] == nil ? nil : $0 }
        return (txCode, value("CorpId", upperDigit, 4...16), value("OperatorId", word, 1...20),
                value("SerialNo", { word($0) || $0 == UInt8(ascii: "-") }, 1...32))
    }

    /// The Body element must be the one the transaction code names.
    static func checkBody(_ body: XMLElement, head: MessageHead) throws(MessageRejection) {
        guard let transaction = body.firstChildElement else { return }
        if head.retCode != nil && head.txCode.isEmpty {
            guard transaction.isNamed("ErrorResult", in: Namespace.directLink) else {
                throw MessageRejection(.bodyMismatch, "a response without TxCode carries ErrorResult", path: transaction.path)
            }
            return
        }
        guard let expected = bodies[head.txCode] else {
            throw MessageRejection(.bodyMismatch, "unknown TxCode \(head.txCode)", path: body.path)
        }
        // A request (the inbound hot path) names one element: compare it in place.
        if head.retCode == nil, transaction.isNamed(expected.request, in: Namespace.directLink) { return }
        let allowed = head.retCode == nil ? [expected.request] : expected.responses.union(["ErrorResult"])
        guard transaction.namespaceURI == Namespace.directLink, allowed.contains(transaction.name) else {
            throw MessageRejection(.bodyMismatch, "TxCode \(head.txCode) needs Body/\(allowed.sorted().joined(separator: " or ")), found \(transaction.name)", path: transaction.path)
        }
    }
}

extension String {
    /// Without leading and trailing XML white space (space, tab, CR, LF), as the schema's whiteSpace="collapse" reads it.
    var trimmingXMLWhitespace: String {
        let bytes = utf8
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }) else { return "" }
        guard let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        if first == bytes.startIndex && last == bytes.index(before: bytes.endIndex) { return self }
        return String(self[first...last])
    }
}
