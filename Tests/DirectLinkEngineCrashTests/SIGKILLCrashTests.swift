import DirectLinkEngine
import DirectLinkLedger
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts `directlink engine-load`, SIGKILLs it mid-load, reopens the database and checks that
/// every acknowledged transfer is there exactly once, nothing is half-applied, the invariants
/// hold, and resending every transfer applies each exactly once in total.
@Suite(.serialized) struct SIGKILLCrashTests {
    static let acknowledgementsBeforeKill = 3_000
    static let transfersOffered = 400_000

    /// The built `directlink` executable: beside the test bundle in the build products directory.
    static func directlinkBinary() throws -> URL {
        var candidates: [URL] = []
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("directlink"))
            directory = directory.deletingLastPathComponent()
        }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("directlink"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CrashTestError("the directlink executable was not built next to the tests (looked in \(candidates.map(\.path))); run `swift build` before `swift test`")
        }
        return found
    }

    static let interBankEvery = 7

    @Test func acknowledgedTransfersSurviveSIGKILLExactlyOnce() async throws {
        let binary = try Self.directlinkBinary()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("crash.sqlite").path

        let process = Process()
        process.executableURL = binary
        process.arguments = ["engine-load", "--database", path, "--transfers", String(Self.transfersOffered), "--batch", "50", "--concurrency", "4",
                             "--inter-bank-every", String(Self.interBankEvery)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()

        var buffer = Data()
        var acknowledged = 0
        var killed = false
        let reader = output.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }  // EOF: the loader is gone.
            buffer.append(chunk)
            acknowledged += chunk.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            if !killed && acknowledged >= Self.acknowledgementsBeforeKill {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        process.waitUntilExit()
        #expect(killed, "the loader finished before it could be killed")
        #expect(process.terminationReason == .uncaughtSignal)

        // Only complete lines count as acknowledgements.
        let text = String(decoding: buffer, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var acks: [String: String] = [:]
        for line in lines where line.hasPrefix("ACK ") {
            let parts = line.split(separator: " ")
            try #require(parts.count == 3)
            #expect(acks.updateValue(String(parts[2]), forKey: String(parts[1])) == nil, "acknowledged twice: \(line)")
        }
        #expect(acks.count >= Self.acknowledgementsBeforeKill)

        let clock = ManualClock(BusinessDate(year: 2026, month: 11, day: 25)!, hour: 10)
        let engine = try TransactionEngine.open(path: path, configuration: SyntheticWorkload.configuration(), clock: clock)
        defer { engine.close() }
        #expect(try await engine.verifyInvariants() == [])
        for (serial, reference) in acks {
            let view = try await engine.paymentStatus(corporation: SyntheticWorkload.corporation, reference: .serial(serial))
            let interBank = (Int(serial.dropFirst()) ?? 0) % Self.interBankEvery == Self.interBankEvery - 1
            #expect(view.bankReference == reference && view.status == (interBank ? .released : .settled))
        }

        // Resend everything up to well past the highest acknowledged transfer: acknowledged ones
        // replay, the rest apply now, and every balance equals applying each transfer once.
        let highest = acks.keys.compactMap { Int($0.dropFirst()) }.max() ?? 0
        let upTo = highest + 2_000
        var replayed = 0
        for start in stride(from: 0, to: upTo, by: 500) {
            let orders = (start..<min(upTo, start + 500)).map { SyntheticWorkload.transfer($0, interBankEvery: Self.interBankEvery) }
            let results = try await engine.submit(orders)
            for (order, result) in zip(orders, results) {
                #expect(result.status == (order.payeeBankCode == nil ? .settled : .released))
                if let reference = acks[order.serial] {
                    #expect(result.replayed && result.bankReference == reference)
                }
                if result.replayed { replayed += 1 }
            }
        }
        #expect(replayed >= acks.count)
        // Held inter-bank payments are still in flight: invariants (holds = what payments hold)
        // must hold now, and after a clearing cycle settles them every balance equals the model.
        #expect(try await engine.verifyInvariants() == [])
        var cleared = 0
        while true {
            let report = try await engine.runHousekeeping()
            cleared += report.settled
            if report.settled == 0 { break }
        }
        #expect(cleared == upTo / Self.interBankEvery)
        var expected = [String: Int64]()
        for index in 0..<SyntheticWorkload.accountCount { expected[SyntheticWorkload.accountNumber(index)] = SyntheticWorkload.openingBalanceMinor }
        for n in 0..<upTo {
            let order = SyntheticWorkload.transfer(n, interBankEvery: Self.interBankEvery)
            expected[order.debitAccount, default: 0] -= order.amount.minorUnits
            if order.payeeBankCode == nil { expected[order.creditAccount, default: 0] += order.amount.minorUnits }
        }
        let numbers = (0..<SyntheticWorkload.accountCount).map(SyntheticWorkload.accountNumber)
        let balances = try await engine.balances(corporation: SyntheticWorkload.corporation, accounts: numbers)
        for balance in balances {
            #expect(balance.balanceMinor == expected[balance.account], "\(balance.account)")
        }
        #expect(try await engine.verifyInvariants() == [])
    }
}

struct CrashTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
