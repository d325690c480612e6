/// The wire result code: a stable four-digit number, never renumbered, grouped by area and listed in the
/// order the checks run. `Schemas/README.md` §6 ("Result codes") documents each one with what to do about it.
///
/// Areas: 00 success · 10 frame · 11 XML · 20 envelope and schema · 30 signature · 40 certificate ·
/// 50 time · 60 identity and permission · 70 limit · 75 approval · 80 request, account and funds ·
/// 85 conflict · 90 internal.
public enum RetCode: String, Sendable, CaseIterable, Codable {
    case ok = "0000"

    // Frame
    case frameTooLarge = "1001"
    case bindingUnrecognized = "1002"
    case frameMalformed = "1003"
    case frameTimeout = "1004"
    case httpRequestRejected = "1005"

    // XML (hardened parser)
    case encodingUnsupported = "1101"
    case xmlDoctype = "1102"
    case xmlDepthExceeded = "1103"
    case xmlTooManyAttributes = "1104"
    case xmlTooManyElements = "1105"
    case xmlTextTooLong = "1106"
    case xmlProcessingInstruction = "1107"
    case xmlMalformed = "1108"

    // Envelope and schema
    case envelopeStructure = "2001"
    case schemaInvalid = "2002"
    case bodyMismatch = "2003"

    // Signature (XML-DSig profile and CMS binding)
    case signatureMissing = "3001"
    case signatureMultiple = "3002"
    case signaturePlacement = "3003"
    case signatureStructure = "3004"
    case canonicalizationRejected = "3005"
    case signatureAlgorithmRejected = "3006"
    case referenceRejected = "3007"
    case transformRejected = "3008"
    case digestAlgorithmRejected = "3009"
    case keyInfoRejected = "3010"
    case keyAlgorithmMismatch = "3011"
    case digestMismatch = "3012"
    case signatureValueFormat = "3013"
    case signatureInvalid = "3014"
    case cmsMalformed = "3015"
    case cmsUnsupported = "3016"
    case cmsSignatureInvalid = "3017"

    // Certificate
    case certificateMalformed = "4001"
    case certificateUntrusted = "4002"
    case certificateExpired = "4003"
    case certificateNotYetValid = "4004"
    case certificateRevoked = "4005"
    case certificateKeyUsage = "4006"
    case certificateKeyRejected = "4007"
    case crlUnavailable = "4008"

    // Replay and time
    case timestampOutOfWindow = "5001"

    // Identity and permission
    case tlsIdentityMismatch = "6001"
    case corporationUnknown = "6002"
    case operatorUnknown = "6003"
    case operatorNotActive = "6004"
    case certificateNotBound = "6005"
    case permissionDenied = "6006"

    // Limits
    case limitExceeded = "7001"

    // Approval
    case approvalNotPending = "7501"
    case orderDigestMismatch = "7502"
    case approverIsMaker = "7503"
    case approverAlreadyActed = "7504"
    case approverNotEligible = "7505"

    // Request content, accounts and funds
    case requestInvalid = "8001"
    case amountInvalid = "8002"
    case batchInvalid = "8003"
    case accountUnknown = "8004"
    case accountNotActive = "8005"
    case currencyMismatch = "8006"
    case sameAccount = "8007"
    case valueDateInvalid = "8008"
    case channelNotAllowed = "8009"
    case insufficientFunds = "8010"
    case paymentUnknown = "8011"

    // Conflict (idempotency)
    case serialConflict = "8501"

    // Internal
    case internalError = "9001"
    case serviceUnavailable = "9002"

    /// A short mnemonic used in CLI output and logs, e.g. `SIG.DIGEST_MISMATCH`.
    public var mnemonic: String { Self.details[self]?.mnemonic ?? "UNKNOWN" }
    /// Chinese message for the `RetMsg` field.
    public var messageZh: String { Self.details[self]?.zh ?? "未知错误" }
    /// English message for the `RetMsgEn` field.
    public var messageEn: String { Self.details[self]?.en ?? "unknown error" }
    /// True when sending the very same message again may succeed (the fault is not in the message).
    public var retryable: Bool { Self.details[self]?.retryable ?? false }

    struct Detail {
        let mnemonic: String
        let zh: String
        let en: String
        let retryable: Bool
    }

    static let details: [RetCode: Detail] = [
        .ok: Detail(mnemonic: "OK", zh: "交易成功", en: "success", retryable: false),
        .frameTooLarge: Detail(mnemonic: "FRAME.TOO_LARGE", zh: "报文超过长度上限", en: "message exceeds the size limit", retryable: false),
        .bindingUnrecognized: Detail(mnemonic: "FRAME.BINDING", zh: "无法识别报文格式（应为签名XML或PKCS#7）", en: "neither signed XML nor base64 PKCS#7", retryable: false),
        .frameMalformed: Detail(mnemonic: "FRAME.MALFORMED", zh: "报文帧格式错误，连接将关闭", en: "unreadable frame; the connection is closed", retryable: false),
        .frameTimeout: Detail(mnemonic: "FRAME.TIMEOUT", zh: "报文接收超时，连接将关闭", en: "frame not completed in time; the connection is closed", retryable: true),
        .httpRequestRejected: Detail(mnemonic: "FRAME.HTTP", zh: "HTTP请求不符合要求（应为POST /directlink）", en: "HTTP request must be POST /directlink with an XML or PKCS#7 body", retryable: false),
        .encodingUnsupported: Detail(mnemonic: "XML.ENCODING", zh: "不支持的字符编码", en: "unsupported character encoding", retryable: false),
        .xmlDoctype: Detail(mnemonic: "XML.DOCTYPE", zh: "报文不得包含DTD或实体声明", en: "DOCTYPE and entity declarations are not accepted", retryable: false),
        .xmlDepthExceeded: Detail(mnemonic: "XML.DEPTH", zh: "XML嵌套层数超限", en: "XML nesting too deep", retryable: false),
        .xmlTooManyAttributes: Detail(mnemonic: "XML.ATTRIBUTES", zh: "元素属性个数超限", en: "too many attributes on one element", retryable: false),
        .xmlTooManyElements: Detail(mnemonic: "XML.ELEMENTS", zh: "元素个数超限", en: "too many elements", retryable: false),
        .xmlTextTooLong: Detail(mnemonic: "XML.TEXT_LENGTH", zh: "文本节点长度超限", en: "text node too long", retryable: false),
        .xmlProcessingInstruction: Detail(mnemonic: "XML.PI", zh: "报文不得包含处理指令", en: "processing instructions are not accepted", retryable: false),
        .xmlMalformed: Detail(mnemonic: "XML.MALFORMED", zh: "XML格式错误", en: "malformed XML", retryable: false),
        .envelopeStructure: Detail(mnemonic: "ENV.STRUCTURE", zh: "报文结构错误", en: "envelope structure is wrong", retryable: false),
        .schemaInvalid: Detail(mnemonic: "ENV.SCHEMA", zh: "报文不符合接口规范（XSD）", en: "message does not conform to the schema", retryable: false),
        .bodyMismatch: Detail(mnemonic: "ENV.BODY_MISMATCH", zh: "报文体与交易码不符", en: "body element does not match TxCode", retryable: false),
        .signatureMissing: Detail(mnemonic: "SIG.MISSING", zh: "报文未签名", en: "message is not signed", retryable: false),
        .signatureMultiple: Detail(mnemonic: "SIG.MULTIPLE", zh: "报文包含多个签名", en: "more than one signature", retryable: false),
        .signaturePlacement: Detail(mnemonic: "SIG.PLACEMENT", zh: "签名位置错误", en: "signature is not a direct child of Message", retryable: false),
        .signatureStructure: Detail(mnemonic: "SIG.STRUCTURE", zh: "签名结构不符合规范", en: "signature structure is outside the profile", retryable: false),
        .canonicalizationRejected: Detail(mnemonic: "SIG.C14N", zh: "不支持的规范化方法", en: "canonicalization method not accepted", retryable: false),
        .signatureAlgorithmRejected: Detail(mnemonic: "SIG.ALGORITHM", zh: "不支持的签名算法", en: "signature algorithm not accepted", retryable: false),
        .referenceRejected: Detail(mnemonic: "SIG.REFERENCE", zh: "签名引用不符合规范", en: "signature reference not accepted", retryable: false),
        .transformRejected: Detail(mnemonic: "SIG.TRANSFORM", zh: "签名变换不符合规范", en: "signature transforms not accepted", retryable: false),
        .digestAlgorithmRejected: Detail(mnemonic: "SIG.DIGEST_ALGORITHM", zh: "不支持的摘要算法", en: "digest algorithm not accepted", retryable: false),
        .keyInfoRejected: Detail(mnemonic: "SIG.KEYINFO", zh: "签名证书信息不符合规范", en: "KeyInfo must carry X509Certificate only", retryable: false),
        .keyAlgorithmMismatch: Detail(mnemonic: "SIG.KEY_MISMATCH", zh: "签名算法与证书密钥不符", en: "signature algorithm does not match the key", retryable: false),
        .digestMismatch: Detail(mnemonic: "SIG.DIGEST_MISMATCH", zh: "报文摘要不符，报文可能被篡改", en: "digest mismatch: the message was altered", retryable: false),
        .signatureValueFormat: Detail(mnemonic: "SIG.VALUE_FORMAT", zh: "签名值格式错误", en: "signature value has the wrong format", retryable: false),
        .signatureInvalid: Detail(mnemonic: "SIG.INVALID", zh: "签名验证失败", en: "signature does not verify", retryable: false),
        .cmsMalformed: Detail(mnemonic: "CMS.MALFORMED", zh: "PKCS#7数据格式错误", en: "malformed PKCS#7/CMS data", retryable: false),
        .cmsUnsupported: Detail(mnemonic: "CMS.UNSUPPORTED", zh: "不支持的PKCS#7结构", en: "PKCS#7/CMS structure not accepted", retryable: false),
        .cmsSignatureInvalid: Detail(mnemonic: "CMS.INVALID", zh: "PKCS#7签名验证失败", en: "PKCS#7/CMS signature does not verify", retryable: false),
        .certificateMalformed: Detail(mnemonic: "CERT.MALFORMED", zh: "证书格式错误", en: "malformed certificate", retryable: false),
        .certificateUntrusted: Detail(mnemonic: "CERT.UNTRUSTED", zh: "证书不受信任", en: "certificate does not chain to a trusted CA", retryable: false),
        .certificateExpired: Detail(mnemonic: "CERT.EXPIRED", zh: "证书已过期", en: "certificate expired", retryable: false),
        .certificateNotYetValid: Detail(mnemonic: "CERT.NOT_YET_VALID", zh: "证书尚未生效", en: "certificate not yet valid", retryable: false),
        .certificateRevoked: Detail(mnemonic: "CERT.REVOKED", zh: "证书已吊销", en: "certificate revoked", retryable: false),
        .certificateKeyUsage: Detail(mnemonic: "CERT.KEY_USAGE", zh: "证书用途不允许签名", en: "certificate key usage does not allow signing", retryable: false),
        .certificateKeyRejected: Detail(mnemonic: "CERT.KEY", zh: "证书密钥类型或长度不符合要求", en: "certificate key type or size not accepted", retryable: false),
        .crlUnavailable: Detail(mnemonic: "CERT.CRL_UNAVAILABLE", zh: "无法获得有效的证书吊销列表", en: "no valid CRL for the issuer", retryable: true),
        .timestampOutOfWindow: Detail(mnemonic: "TIME.WINDOW", zh: "报文时间超出允许范围，请校准时钟", en: "Timestamp outside the accepted window; see ServerTime", retryable: false),
        .tlsIdentityMismatch: Detail(mnemonic: "PERM.TLS_IDENTITY", zh: "通信证书与报文企业号不符", en: "TLS client certificate is not for this CorpId", retryable: false),
        .corporationUnknown: Detail(mnemonic: "PERM.CORP_UNKNOWN", zh: "企业未开通银企直联", en: "corporation unknown", retryable: false),
        .operatorUnknown: Detail(mnemonic: "PERM.OPERATOR_UNKNOWN", zh: "操作员不存在", en: "operator unknown", retryable: false),
        .operatorNotActive: Detail(mnemonic: "PERM.OPERATOR_INACTIVE", zh: "操作员已停用", en: "operator not active", retryable: false),
        .certificateNotBound: Detail(mnemonic: "PERM.CERT_NOT_BOUND", zh: "签名证书未绑定该操作员", en: "signing certificate not bound to this operator", retryable: false),
        .permissionDenied: Detail(mnemonic: "PERM.DENIED", zh: "操作员无此交易或账户权限", en: "operator not granted this transaction or account", retryable: false),
        .limitExceeded: Detail(mnemonic: "LIMIT.EXCEEDED", zh: "超出限额", en: "limit exceeded; RuleId names the rule", retryable: false),
        .approvalNotPending: Detail(mnemonic: "APPR.NOT_PENDING", zh: "该笔交易不在待审批状态", en: "payment is not awaiting approval", retryable: false),
        .orderDigestMismatch: Detail(mnemonic: "APPR.DIGEST_MISMATCH", zh: "审批的报文摘要与原指令不符", en: "OrderDigest does not match the signed order", retryable: false),
        .approverIsMaker: Detail(mnemonic: "APPR.MAKER", zh: "经办人不能审批自己的指令", en: "the maker cannot approve their own payment", retryable: false),
        .approverAlreadyActed: Detail(mnemonic: "APPR.ALREADY_ACTED", zh: "审批人已审批过该指令", en: "approver has already acted on this payment", retryable: false),
        .approverNotEligible: Detail(mnemonic: "APPR.NOT_ELIGIBLE", zh: "审批人无此级别审批权限", en: "approver not eligible at this level", retryable: false),
        .requestInvalid: Detail(mnemonic: "REQ.INVALID", zh: "请求内容无效", en: "request content invalid", retryable: false),
        .amountInvalid: Detail(mnemonic: "REQ.AMOUNT", zh: "金额无效", en: "amount invalid", retryable: false),
        .batchInvalid: Detail(mnemonic: "REQ.BATCH", zh: "批量指令无效（笔数或总额不符、超出笔数上限）", en: "batch invalid: count or total mismatch, or too many items", retryable: false),
        .accountUnknown: Detail(mnemonic: "ACCT.UNKNOWN", zh: "账户不存在", en: "account unknown", retryable: false),
        .accountNotActive: Detail(mnemonic: "ACCT.INACTIVE", zh: "账户已冻结或销户", en: "account frozen or closed", retryable: false),
        .currencyMismatch: Detail(mnemonic: "ACCT.CURRENCY", zh: "币种不符", en: "currency mismatch", retryable: false),
        .sameAccount: Detail(mnemonic: "ACCT.SAME", zh: "付款账户与收款账户相同", en: "debit and credit account are the same", retryable: false),
        .valueDateInvalid: Detail(mnemonic: "REQ.VALUE_DATE", zh: "起息日无效", en: "value date invalid", retryable: false),
        .channelNotAllowed: Detail(mnemonic: "ROUTE.CHANNEL", zh: "所选清算渠道不可用", en: "requested channel not allowed now", retryable: false),
        .insufficientFunds: Detail(mnemonic: "FUNDS.INSUFFICIENT", zh: "可用余额不足", en: "insufficient available balance", retryable: false),
        .paymentUnknown: Detail(mnemonic: "PAY.UNKNOWN", zh: "原交易不存在", en: "payment unknown", retryable: false),
        .serialConflict: Detail(mnemonic: "CONFLICT.SERIAL", zh: "流水号已使用且内容不同", en: "SerialNo already used with different content; ErrorPath names the field", retryable: false),
        .serviceUnavailable: Detail(mnemonic: "SYS.UNAVAILABLE", zh: "服务暂不可用，请稍后用原流水号重试", en: "service unavailable; resend with the same SerialNo", retryable: true),
        .internalError: Detail(mnemonic: "SYS.INTERNAL", zh: "系统内部错误，请稍后查询结果", en: "internal error; query the result later", retryable: true),
    ]
}
