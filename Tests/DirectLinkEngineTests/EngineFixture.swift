import DirectLinkEngine
import DirectLinkLedger
import Foundation
import Testing

/// A real engine on a real SQLite database in a fresh temporary directory, opened with the
/// repository's `conf/engine` and a manual clock (Wednesday 2026-11-25, 10:00 Shanghai).
final class EngineFixture: @unchecked Sendable {
    static let today = BusinessDate(year: 2026, month: 11, day: 25)!
    static let confDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("conf/engine")

    // Demo accounts from conf/engine/seed.json.
    static let aBasic = "6229000100000001"      // 10,000,000.00, overdraft 500,000.00
    static let aGeneral = "6229000100000002"    // 2,000,000.00, daily limit 1,000,000.00
    static let aFrozen = "6229000100000003"
    static let bBasic = "6229000200000001"      // 3,000,000.00
    static let fundMain = "6229000300000001"
    static let household101 = "6229000300000001-01-0101"
    static let otherBank = "102100099996"

    let directory: URL
    let path: String
    let clock: ManualClock
    let configuration: EngineConfiguration
    private(set) var engine: TransactionEngine
    private var serialCounter = 0
    let walBytesMax: Int

    init(hour: Int = 10, minute: Int = 0, date: BusinessDate = EngineFixture.today, walBytesMax: Int = 16 << 20,
         configure: (inout EngineConfiguration) -> Void = { _ in }) throws {
        self.walBytesMax = walBytesMax
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("engine-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("engine.sqlite").path
        clock = ManualClock(date, hour: hour, minute: minute)
        var configuration = try EngineConfiguration.load(directory: Self.confDirectory)
        configure(&configuration)
        self.configuration = configuration
        engine = try TransactionEngine.open(path: path, configuration: configuration, clock: clock, walBytesMax: walBytesMax)
    }

    deinit {
        engine.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Closes and reopens the engine on the same database (a clean restart).
    func reopen() throws {
        engine.close()
        engine = try TransactionEngine.open(path: path, configuration: configuration, clock: clock, walBytesMax: walBytesMax)
    }

    func nextSerial() -> String {
        serialCounter += 1
        return "S\(serialCounter)"
    }

    func order(_ amount: String, from debit: String = EngineFixture.aBasic, to credit: String = EngineFixture.bBasic,
               corporation: String = "CORPA001", operatorId: String = "MAKER01", serial: String? = nil,
               bank: String? = nil, channel: Channel? = nil, urgent: Bool = false, valueDate: BusinessDate? = nil,
               type: String = "PAY.SINGLE", access: AccessChannel = .directLink) throws -> PaymentOrder {
        PaymentOrder(corporation: corporation, operatorId: operatorId, serial: serial ?? nextSerial(), transactionType: type,
                     debitAccount: debit, creditAccount: credit, payeeName: "收款人", payeeBankCode: bank,
                     amount: try AmountParser.parse(amount), requestedChannel: channel, urgent: urgent, valueDate: valueDate,
                     accessChannel: access, orderDigest: Self.digest(serial ?? "order-\(serialCounter)"))
    }

    static func digest(_ seed: String) -> String {
        // A stand-in for the SHA-256 of signed order bytes: 64 hex characters derived from the seed.
        var hash: UInt64 = 1469598103934665603
        for byte in seed.utf8 { hash = (hash ^ UInt64(byte)) &* 1099511628211 }
        let part = String(hash, radix: 16)
        return String(repeating: part + String(repeating: "0", count: 16 - part.count), count: 4)
    }

    func approval(_ result: CommandResult, by operatorId: String, corporation: String = "CORPA001",
                  decision: ApprovalDecisionKind = .approve, orderDigest: String? = nil) async throws -> CommandResult {
        let status = try await engine.paymentStatus(corporation: corporation, reference: .bankReference(result.bankReference ?? ""))
        return try await engine.decide(ApprovalCommand(
            corporation: corporation, operatorId: operatorId, serial: nextSerial(), payment: .bankReference(result.bankReference ?? ""),
            decision: decision, orderDigest: orderDigest ?? status.orderDigest, messageDigest: Self.digest("msg-\(serialCounter)"),
            certificateFingerprint: fingerprint(of: operatorId, corporation: corporation)))
    }

    /// The first certificate fingerprint the seed binds to an operator ("unbound" when none).
    func fingerprint(of operatorId: String, corporation: String) -> String {
        configuration.seed.corporations.first { $0.id == corporation }?.operators.first { $0.id == operatorId }?
            .certificateFingerprints.first ?? "unbound"
    }

    func balance(_ account: String, corporation: String) async throws -> AccountBalance {
        try #require(try await engine.balances(corporation: corporation, accounts: [account]).first)
    }

    /// Every scenario ends here: per currency postings sum to zero, balances equal their
    /// postings, holds equal what payments hold, nobody is below the overdraft line.
    func expectInvariants(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let problems = try await engine.verifyInvariants()
        #expect(problems.isEmpty, "\(problems)", sourceLocation: sourceLocation)
    }
}
