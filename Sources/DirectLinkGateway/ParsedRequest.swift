import Foundation
import DirectLinkCrypto
import DirectLinkLedger
import DirectLinkMessage
import DirectLinkXML

/// A verified message whose signer has been matched to an operator: ready for permission checks and the engine.
struct ParsedRequest {
    let message: VerifiedMessage
    let corporation: CorporationProfile

    var head: MessageHead { message.head }
    var body: RequestReader { RequestReader(element: message.transaction) }

    /// Commands that change state are idempotent by (CorpId, SerialNo) forever; queries are not recorded.
    static let idempotentCodes: Set<String> = ["PAY.SINGLE", "PAY.BATCH", "PAY.CANCEL", "APR.APPROVE", "APR.REJECT"]

    var isIdempotent: Bool { Self.idempotentCodes.contains(head.txCode) }

    /// What makes two sends "the same content": TxCode, OperatorId and the exclusive canonical form of the Body's
    /// transaction element (so white space, comments, prefixes and the Timestamp do not matter).
    func contentDigest() throws(GatewayRejection) -> (digest: String, body: [UInt8]) {
        do {
            let body = try message.document.exclusiveCanonicalization(of: message.transaction)
            let identity = Array("\(head.txCode)\n\(head.operatorId)\n".utf8)
            return (try Digest.compute(.sha256, identity + body).hexString, body)
        } catch {
            throw GatewayRejection(.internalError, "content digest failed")
        }
    }

    /// The operator's roles must grant `transactionType` on every account named.
    func authorise(_ transactionType: String, accounts: [String]) throws(GatewayRejection) {
        for account in accounts {
            if case .failure(let denied) = corporation.authorise(operatorId: head.operatorId, transactionType: transactionType, account: account) {
                throw GatewayRejection(denied.retCode, denied.reason, path: "/Message/Head/OperatorId", ruleId: "role:\(transactionType):\(account)")
            }
        }
    }
}

/// Names the first field in which a resent command differs from the stored original.
enum ContentDiff {
    static func firstDifference(_ stored: [UInt8], _ new: [UInt8], storedTxCode: String, txCode: String) -> String {
        guard storedTxCode == txCode else { return "/Message/Head/TxCode" }
        guard stored != new else { return "/Message/Head/OperatorId" }
        guard let old = try? XMLDocument.parse(stored), let now = try? XMLDocument.parse(new) else { return "/Message/Body" }
        return "/Message/Body" + (difference(old.root, now.root) ?? "/" + now.root.name)
    }

    /// Depth-first: the path (below Body) of the first element whose name, text or children differ.
    private static func difference(_ a: XMLElement, _ b: XMLElement) -> String? {
        let path = "/" + b.name
        guard a.name == b.name else { return path }
        let (left, right) = (a.children, b.children)
        if left.isEmpty && right.isEmpty { return a.text == b.text ? nil : path }
        if left.isEmpty != right.isEmpty { return path }
        for index in 0..<max(left.count, right.count) {
            guard index < left.count, index < right.count else {
                return path + "/" + (index < right.count ? right[index].name : left[index].name)
            }
            if let inner = difference(left[index], right[index]) {
                let sameNamed = right.filter { $0.name == right[index].name }.count
                let position = right[0...index].filter { $0.name == right[index].name }.count
                let step = sameNamed > 1 ? inner.replacingFirst("/\(right[index].name)", with: "/\(right[index].name)[\(position)]") : inner
                return path + step
            }
        }
        return nil
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
