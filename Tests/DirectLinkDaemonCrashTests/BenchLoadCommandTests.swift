import Foundation
import Testing

/// `directlink bench load --interleave-seconds`: two in-process daemons, audit log off and on, loaded in turn. A small
/// run must finish every pair, verify its sampled responses (bank signature and RetCode 0000) on both daemons, and
/// print the cost with its bootstrap interval. Figures are not asserted: speed is measured by running the bench, not
/// in tests.
struct BenchLoadCommandTests {
    typealias Harness = DaemonSIGKILLTests

    @Test func interleavedRunVerifiesBothDaemonsAndReportsEveryPair() throws {
        let process = Process()
        process.executableURL = try Harness.binary()
        process.currentDirectoryURL = Harness.root
        process.arguments = ["bench", "load", "--connections", "4", "--messages", "4000", "--interleave-seconds", "0.3", "--rounds", "3"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        for pair in 1...3 {
            #expect(text.contains("pair \(pair) audit off"), "\(text)")
            #expect(text.contains("pair \(pair) audit on"), "\(text)")
        }
        #expect(text.contains("audit log cost (median of 3 interleaved pairs of 0.3 s slices)"), "\(text)")
        #expect(text.contains("bootstrap 95% interval"), "\(text)")
        // Each setting's line ends with the count of responses whose bank signature was verified: never zero.
        let samples = text.split(separator: "\n").filter { $0.hasPrefix("median audit") }.compactMap { line in
            line.split(separator: " ").last.flatMap { Int($0) }
        }
        #expect(samples.count == 2, "\(text)")
        #expect(samples.allSatisfy { $0 > 0 }, "\(text)")
    }
}
