import DirectLinkLedger
import Foundation

/// `directlink bench engine`: durable intra-bank transfers per second at a group-commit batch
/// size, beside the raw SQLite insert rate for the same number of rows, measured in the same run.
public enum EngineBenchmark {
    /// Rows the engine writes per intra-bank transfer that needs no approval: the payment, two
    /// postings, two events (RECEIVED→APPROVED, APPROVED→SETTLED). Balances and limit usage are
    /// written once per group commit and are not counted.
    public static let rowsPerTransfer = 5

    public struct Figures: Sendable {
        public var batchSize: Int
        public var transfers: Int
        public var engineSeconds: Double
        public var rawSeconds: Double
        /// The engine's own rows (payment, events, postings) into its own schema, without its logic.
        public var sameRowsSeconds: Double
        public var engineTransfersPerSecond: Double { Double(transfers) / engineSeconds }
        public var sameRowsTransfersPerSecond: Double { Double(transfers) / sameRowsSeconds }
        /// How many times slower the engine is than SQLite inserting the same rows.
        public var slowdownSameRows: Double { sameRowsTransfersPerSecond / engineTransfersPerSecond }
        public var rawRowsPerSecond: Double { Double(transfers * rowsPerTransfer) / rawSeconds }
        /// Raw rows per second divided by rows per transfer: the transfer rate if the engine cost nothing but its inserts.
        public var rawTransfersPerSecond: Double { rawRowsPerSecond / Double(rowsPerTransfer) }
        public var slowdown: Double { rawTransfersPerSecond / engineTransfersPerSecond }
    }

    /// Runs `transfers` transfers through a fresh engine in `directory`, `batchSize` per
    /// submission (so per group commit), then the raw baseline with the same rows per commit.
    public static func run(directory: URL, transfers: Int, batchSize: Int) async throws -> Figures {
        let enginePath = directory.appendingPathComponent("bench-engine-\(batchSize).sqlite").path
        let rawPath = directory.appendingPathComponent("bench-raw-\(batchSize).sqlite").path
        let sameRowsPath = directory.appendingPathComponent("bench-same-rows-\(batchSize).sqlite").path
        for path in [enginePath, rawPath, sameRowsPath] {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let clock = ManualClock(SyntheticWorkload.businessDay, hour: 10)
        var configuration = SyntheticWorkload.configuration()
        configuration.bounds.groupCommitCommandsMax = max(batchSize, 1)
        let engine = try TransactionEngine.open(path: enginePath, configuration: configuration, clock: clock)
        let batches = stride(from: 0, to: transfers, by: batchSize).map { start in
            (start..<min(transfers, start + batchSize)).map { SyntheticWorkload.transfer($0) }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        for batch in batches {
            let results = try await engine.submit(batch)
            // A benchmark that silently measured refusals would measure nothing.
            guard results.allSatisfy({ $0.status == .settled }) else {
                throw BaselineError("a benchmark transfer did not settle: \(results.first { $0.status != .settled }.map { "\($0.error as Any)" } ?? "")")
            }
        }
        let engineSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let problems = try await engine.verifyInvariants()
        engine.close()
        guard problems.isEmpty else { throw BaselineError("invariants broken after the benchmark: \(problems)") }
        let rawSeconds = try RawInsertBaseline.run(path: rawPath, rows: transfers * rowsPerTransfer, rowsPerCommit: batchSize * rowsPerTransfer)
        let sameRowsSeconds = try RawInsertBaseline.runEngineRows(path: sameRowsPath, transfers: transfers, transfersPerCommit: batchSize)
        return Figures(batchSize: batchSize, transfers: transfers, engineSeconds: engineSeconds, rawSeconds: rawSeconds,
                       sameRowsSeconds: sameRowsSeconds)
    }
}
