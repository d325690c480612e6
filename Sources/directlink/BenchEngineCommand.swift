import ArgumentParser
import DirectLinkEngine
import Foundation

/// `directlink bench engine`: durable intra-bank transfers/s with limit and approval rules
/// configured, at group-commit batch sizes 1, 100 and 1,000, beside raw SQLite inserts of the
/// same rows measured in the same run.
struct BenchEngineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "engine", abstract: "Durable transfers/s vs raw SQLite inserts.")

    @Option(help: "Group-commit batch sizes to measure.")
    var batchSizes: [Int] = [1, 100, 1000]

    @Option(help: "Transfers per measurement at batch size 1 (each is an fsync).")
    var transfersSingle = 2_000

    @Option(help: "Transfers per measurement at larger batch sizes.")
    var transfers = 100_000

    @Option(help: "Directory for the benchmark databases (a fresh temporary one by default).")
    var directory: String?

    func run() async throws {
        let base = directory.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("directlink-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(at: base) } }
        print("directlink bench engine: intra-bank transfers, \(EngineBenchmark.rowsPerTransfer) rows each, WAL + synchronous=FULL, in \(base.path)")
        print("engine: the full engine (checks, limits, approval rule, holds, balances, group commit), durable transfers/s")
        print("same rows: SQLite inserting exactly the engine's rows into the engine's schema (C API, same commits), transfers/s")
        print("flat rows: SQLite inserting as many rows (\(EngineBenchmark.rowsPerTransfer) per transfer) into one narrow table, rows/s")
        print("batch  transfers  engine t/s  same rows t/s  same÷engine  flat rows/s  flat t/s  flat÷engine")
        for size in batchSizes where size >= 1 {
            let count = size == 1 ? transfersSingle : transfers
            let figures = try await EngineBenchmark.run(directory: base, transfers: count, batchSize: size)
            print(pad(String(size), 5), pad(String(count), 10), pad(format(figures.engineTransfersPerSecond), 11),
                  pad(format(figures.sameRowsTransfersPerSecond), 14), pad(String(format: "%.2f×", figures.slowdownSameRows), 12),
                  pad(format(figures.rawRowsPerSecond), 12), pad(format(figures.rawTransfersPerSecond), 9),
                  pad(String(format: "%.2f×", figures.slowdown), 12))
        }
    }

    private func format(_ value: Double) -> String { String(Int(value.rounded())) }
    private func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
}
