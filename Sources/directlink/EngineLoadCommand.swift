import ArgumentParser
import DirectLinkEngine
import DirectLinkLedger
import Foundation

/// Hidden: applies the synthetic transfers to a database and prints `ACK <serial> <bank reference>`
/// for each one only after the transaction holding it committed. The crash test SIGKILLs it
/// mid-load and checks that every acknowledged transfer is there exactly once.
struct EngineLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "engine-load", abstract: "Crash-test loader (internal).",
                                                    shouldDisplay: false)

    @Option(help: "SQLite database path.")
    var database: String

    @Option(help: "Number of transfers.")
    var transfers = 100_000

    @Option(help: "Transfers per submission (shared group commit).")
    var batch = 50

    @Option(help: "Concurrent submitters.")
    var concurrency = 4

    @Option(help: "Every n-th transfer goes to another bank (held, released to clearing); 0 for none.")
    var interBankEvery = 0

    func run() async throws {
        let clock = ManualClock(SyntheticWorkload.businessDay, hour: 10)
        let engine = try TransactionEngine.open(path: database, configuration: SyntheticWorkload.configuration(), clock: clock)
        let batchSize = max(1, batch)
        let submitters = max(1, concurrency)
        let every = max(0, interBankEvery)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<submitters {
                group.addTask {
                    var start = worker * batchSize
                    while start < transfers {
                        let orders = (start..<min(transfers, start + batchSize)).map { SyntheticWorkload.transfer($0, interBankEvery: every) }
                        let results = try await engine.submit(orders)
                        var lines = ""
                        for result in results where result.status == .settled || result.status == .released {
                            lines += "ACK \(result.serial) \(result.bankReference ?? "-")\n"
                        }
                        FileHandle.standardOutput.write(Data(lines.utf8))
                        start += submitters * batchSize
                    }
                }
            }
            try await group.waitForAll()
        }
        engine.close()
        FileHandle.standardOutput.write(Data("DONE\n".utf8))
    }
}
