import DirectLinkMessage
import Foundation
import Testing

/// The protocol reference is kept beside the schema; these tests fail when a code is added without its row.
struct DocumentationTests {
    static let protocolReference = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Schemas/README.md")

    @Test(arguments: RetCode.allCases)
    func everyResultCodeIsDocumented(_ code: RetCode) throws {
        let text = try String(contentsOf: Self.protocolReference, encoding: .utf8)
        #expect(text.contains("| \(code.rawValue) | \(code.mnemonic) |"), "Schemas/README.md lacks the row for \(code.rawValue) \(code.mnemonic)")
    }

    @Test func resultCodesAreUniqueFourDigitNumbers() {
        let values = RetCode.allCases.map(\.rawValue)
        #expect(Set(values).count == values.count)
        #expect(values.allSatisfy { $0.count == 4 && $0.allSatisfy(\.isNumber) })
        #expect(Set(RetCode.allCases.map(\.mnemonic)).count == values.count)
    }
}
