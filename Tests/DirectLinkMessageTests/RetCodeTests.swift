import DirectLinkMessage
import Testing

/// The wire codes are stable, documented in both languages, and declared in the order the checks run.
@Suite struct RetCodeTests {
    /// Every code the message layer (MessageVerifier, MessageSigner and the XML and crypto error mappings) can put
    /// on the wire, in check order. Frame and server codes belong to other layers and are not listed.
    static let messageLayerCodes: [RetCode] = [
        .frameTooLarge, .bindingUnrecognized,
        .encodingUnsupported, .xmlDoctype, .xmlDepthExceeded, .xmlTooManyAttributes, .xmlTooManyElements,
        .xmlTextTooLong, .xmlProcessingInstruction, .xmlMalformed,
        .envelopeStructure, .schemaInvalid, .bodyMismatch,
        .signatureMissing, .signatureMultiple, .signaturePlacement, .signatureStructure, .canonicalizationRejected,
        .signatureAlgorithmRejected, .referenceRejected, .transformRejected, .digestAlgorithmRejected,
        .keyInfoRejected, .keyAlgorithmMismatch, .digestMismatch, .signatureValueFormat, .signatureInvalid,
        .cmsMalformed, .cmsUnsupported, .cmsSignatureInvalid,
        .certificateMalformed, .certificateUntrusted, .certificateExpired, .certificateNotYetValid,
        .certificateRevoked, .certificateKeyUsage, .certificateKeyRejected, .crlUnavailable,
        .internalError,
    ]

    @Test(arguments: messageLayerCodes)
    func codeHasChineseAndEnglishMessagesAndAFourDigitNumber(code: RetCode) {
        #expect(code.rawValue.count == 4)
        #expect(code.rawValue.allSatisfy { $0.isASCII && $0.isNumber })
        #expect(code.rawValue != "0000")
        #expect(code.messageZh != "未知错误")
        #expect(code.messageZh.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) })
        #expect(code.messageEn != "unknown error")
        #expect(!code.messageEn.isEmpty && code.messageEn.allSatisfy(\.isASCII))
        #expect(code.mnemonic != "UNKNOWN")
        #expect(RetCode(rawValue: code.rawValue) == code)
    }

    @Test func numbersMnemonicsAndMessagesAreUniqueAcrossAllCodes() {
        #expect(Set(Self.messageLayerCodes).isSubset(of: Set(RetCode.allCases)))
        #expect(Set(Self.messageLayerCodes).count == Self.messageLayerCodes.count)
        #expect(Set(RetCode.allCases.map(\.rawValue)).count == RetCode.allCases.count)
        #expect(Set(RetCode.allCases.map(\.mnemonic)).count == RetCode.allCases.count)
        #expect(Set(RetCode.allCases.map(\.messageEn)).count == RetCode.allCases.count)
    }

    @Test func everyDeclaredCodeIsAFourDigitNumberWithBothMessages() {
        for code in RetCode.allCases {
            #expect(Int(code.rawValue) != nil && code.rawValue.count == 4, "\(code)")
            #expect(code.messageZh != "未知错误" && code.messageEn != "unknown error", "\(code)")
        }
    }

    @Test func okIsSuccessAndOnlyTransientMessageLayerFaultsAreRetryable() {
        #expect(RetCode.ok.rawValue == "0000")
        #expect(RetCode.ok.messageZh == "交易成功")
        #expect(Set(Self.messageLayerCodes.filter(\.retryable)) == [.crlUnavailable, .internalError])
    }
}
