import ArgumentParser
import DirectLinkAudit
import DirectLinkCrypto
import DirectLinkMessage
import Foundation

/// Records/s through `AuditLog.append` per group-commit size, beside the rate of writing the same number of bytes
/// with one write + one fdatasync per group to a plain file in the same folder, measured in the same run.
struct AuditBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Audit log appends/s per group size beside the raw fdatasync'd write rate (run a release build)."
    )

    @Option(help: "Seconds to measure each figure.") var seconds: Double = 2
    @Option(help: "Records per group commit (repeatable).") var group: [Int] = [1, 64, 512]
    @Option(help: "Records between signed checkpoints (each costs a signature and an fdatasync of checkpoints.log).")
    var checkpointRecords: Int = AuditLimits.default.checkpointIntervalRecords
    @Option(help: "Scratch folder on the disk to measure (default: a temporary folder).") var dir: String?
    @Option(help: "Demo PKI folder.") var pki: String = ResourceLocator.path("Fixtures/pki")
    @Option(help: "Unsigned request template.") var message: String = ResourceLocator.path("Fixtures/messages/corpa/single-payment.xml")
    @Option(help: "Exchanges in flight for the pipeline figure (0 skips it).") var inFlight: Int = 64
    @Option(help: "Exchanges each in-flight worker answers before one commit covers them all.") var perCommit: Int = 1
    @Option(help: "Pipeline phases to run: both, off, on (profiling aid).") var pipelinePhases: String = "both"
    @Option(help: "Milliseconds a group commit gathers before its fdatasync in the pipeline figure.") var gatherMilliseconds: Double = 0

    func validate() throws {
        guard ["both", "off", "on"].contains(pipelinePhases) else { throw ValidationError("--pipeline-phases is both, off or on") }
        guard group.allSatisfy({ $0 > 0 }), inFlight >= 0, perCommit > 0, seconds > 0 else {
            throw ValidationError("--group, --per-commit and --seconds must be positive")
        }
    }

    func run() async throws {
        let base = URL(fileURLWithPath: dir ?? NSTemporaryDirectory()).appendingPathComponent("audit-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let signer = try MessageSigner(keyPath: "\(pki)/corpa-maker-ec.key", certificatePath: "\(pki)/corpa-maker-ec.pem")
        let template = String(decoding: try ResourceLocator.read(message), as: UTF8.self)
        let records = try AuditLoadCommand.exchange(serial: "B0000001", template: template, signer: signer)
        let recordBytes = records.map { $0.encode(leafIndex: 0).count + 40 }.reduce(0, +) / records.count
        print("directlink audit bench: \(recordBytes)-byte records (a signed payment and its response), \(seconds) s per figure")
        print("log and raw alternate in \(Self.rounds) rounds per figure so that disk drift hits both alike")
        var limits = AuditLimits()
        limits.checkpointIntervalRecords = checkpointRecords
        print("a checkpoint is signed and synced every \(checkpointRecords) records")
        print(pad("group", 8) + pad("log records/s", 16) + pad("raw records/s", 16) + pad("log MB/s", 10) + "ratio")
        for size in group {
            let groupRecords = (0..<size).map { records[$0 % 2] }
            let log = try AuditLog(directory: base.appendingPathComponent("log-\(size)"),
                                   key: PrivateKey(pem: ResourceLocator.read("\(pki)/bank-audit.key")),
                                   certificate: Certificate(pem: ResourceLocator.read("\(pki)/bank-audit.pem")), limits: limits)
            let rawPath = base.appendingPathComponent("raw-\(size)").path
            var (logRate, raw) = (0.0, 0.0)
            for _ in 0..<Self.rounds {
                logRate += try BenchVerifyCommand.measure(seconds: seconds / Double(Self.rounds)) {
                    _ = try log.append(groupRecords)
                    try log.checkpointIfDue()
                } * Double(size) / Double(Self.rounds)
                raw += try rawRate(bytes: recordBytes * size, path: rawPath) * Double(size) / Double(Self.rounds)
            }
            print(pad("\(size)", 8) + pad(String(format: "%.0f", logRate), 16) + pad(String(format: "%.0f", raw), 16)
                  + pad(String(format: "%.1f", logRate * Double(recordBytes) / 1e6), 10) + String(format: "%.0f%%", 100 * logRate / raw))
        }
        try printCPUCost(records)
        if inFlight > 0 { try await printPipeline(base: base) }
    }

    static let rounds = 6

    /// The daemon stand-in: exchanges/s with the log off and on, alternating, in the same run.
    func printPipeline(base: URL) async throws {
        let pipeline = try AuditBenchPipeline(pki: pki, message: message)
        var limits = AuditLimits()
        limits.checkpointIntervalRecords = checkpointRecords
        let queue = AuditCommitQueue(log: try AuditLog(directory: base.appendingPathComponent("pipeline"),
                                                       key: PrivateKey(pem: ResourceLocator.read("\(pki)/bank-audit.key")),
                                                       certificate: Certificate(pem: ResourceLocator.read("\(pki)/bank-audit.pem")),
                                                       limits: limits),
                                      gatherSeconds: gatherMilliseconds / 1000)
        var (off, on, cpuOff, cpuOn) = (0.0, 0.0, 0.0, 0.0)
        var (switchesOff, switchesOn) = (0, 0)
        let share = seconds / Double(Self.rounds)
        for _ in 0..<Self.rounds {
            var start = Self.processCPUSeconds()
            var switches = Self.contextSwitches()
            if pipelinePhases != "on" { off += try await pipeline.rate(seconds: share, inFlight: inFlight, perCommit: perCommit, queue: nil) / Double(Self.rounds) }
            cpuOff += (Self.processCPUSeconds() - start) / seconds
            switchesOff += Self.contextSwitches() - switches
            start = Self.processCPUSeconds()
            switches = Self.contextSwitches()
            if pipelinePhases != "off" { on += try await pipeline.rate(seconds: share, inFlight: inFlight, perCommit: perCommit, queue: queue) / Double(Self.rounds) }
            cpuOn += (Self.processCPUSeconds() - start) / seconds
            switchesOn += Self.contextSwitches() - switches
        }
        let groups = queue.statistics.groups
        try queue.close()
        print("pipeline (verify request with XSD + sign response, \(inFlight) in flight, \(perCommit) per commit, \(ProcessInfo.processInfo.activeProcessorCount) cores, gather \(gatherMilliseconds) ms):")
        print(String(format: "  log off %.0f exchanges/s, log on %.0f exchanges/s: the log costs %.1f%% (%d group commits)",
                     off, on, 100 * (1 - on / off), groups))
        let (microsOff, microsOn) = (1e6 * cpuOff / off, 1e6 * cpuOn / on)
        print(String(format: "  CPU per exchange: %.0f µs with the log off, %.0f µs with it on: the log costs %.1f%% of CPU (%.2f / %.2f cores busy)",
                     microsOff, microsOn, 100 * (1 - microsOff / microsOn), cpuOff, cpuOn))
        print(String(format: "  context switches per exchange: %.2f with the log off, %.2f with it on",
                     Double(switchesOff) / (off * seconds), Double(switchesOn) / (on * seconds)))
    }

    static func contextSwitches() -> Int {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_nvcsw + usage.ru_nivcsw
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        return user + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// CPU alone: canonical encoding, leaf hash and tree append per record, no I/O.
    func printCPUCost(_ records: [AuditRecord]) throws {
        var tree = MerkleTree()
        var index: UInt64 = 0
        let rate = try BenchVerifyCommand.measure(seconds: seconds) {
            tree.append(leafHash: MerkleHash.leaf(records[Int(index % 2)].encode(leafIndex: index)))
            index += 1
        }
        print(String(format: "CPU per record (encode + leaf hash + tree append, no I/O): %.2f µs", 1e6 / rate))
    }

    /// Groups/s of one write of `bytes` bytes plus one fdatasync, appending to a plain file.
    func rawRate(bytes: Int, path: String) throws -> Double {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CLIError("cannot open \(path)") }
        defer { close(fd) }
        let buffer = [UInt8](repeating: 0x5A, count: bytes)
        return try BenchVerifyCommand.measure(seconds: seconds / Double(Self.rounds)) {
            let written = buffer.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes, fdatasync(fd) == 0 else { throw CLIError("raw write failed") }
        }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
