@testable import DirectLinkAudit
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGKILL a writer under load, restart it, kill it again; afterwards the log verifies and holds every record whose
/// index the writer printed (it prints only after `append` returned, i.e. after fdatasync).
/// Runs the real `directlink` binary; build it first (`swift build --scratch-path .build-audit`).
@Suite(.serialized) struct CrashTests {
    static func binary() throws -> URL {
        let beside = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("directlink")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        let fallback = Fixture.root.appendingPathComponent(".build-audit/debug/directlink")
        if FileManager.default.isExecutableFile(atPath: fallback.path) { return fallback }
        throw FixtureError("the directlink binary is neither beside the test bundle (\(beside.path)) nor at \(fallback.path): run `swift build --scratch-path .build-audit` first")
    }

    /// Starts a writer, waits for at least `acknowledgements` ACK lines, SIGKILLs it, returns every ACK it printed.
    static func killWriter(directory: URL, after acknowledgements: Int, group: Int = 8, presigned: Bool = false) throws -> [(UInt64, String)] {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = ["audit", "load", "--dir", directory.path, "--group", "\(group)", "--checkpoint-records", "64",
                             "--pki", Fixture.path("Fixtures/pki"), "--message", Fixture.path("Fixtures/messages/corpa/single-payment.xml")]
            + (presigned ? ["--presigned"] : [])
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var text = ""
        let deadline = Date() + 60
        while text.components(separatedBy: "\n").count <= acknowledgements, Date() < deadline, process.isRunning {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        text += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .uncaughtSignal, "the writer must die by SIGKILL, not exit on its own")
        for line in text.split(separator: "\n") where line.hasPrefix("RECOVERED") { print("crash test: writer \(line)") }
        // A line cut by the kill is incomplete ("ACK 1234 L17965" of "ACK 1234 L1796578895864-3396", once the pipe's
        // write was cut short): only lines ended by a newline count as acknowledged.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()
        return lines.compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "ACK", let index = UInt64(parts[1]) else { return nil }
            return (index, String(parts[2]))
        }
    }

    /// Signing each request (slow) or reusing one (the writer then lives in 350 KB writes and fdatasync).
    @Test(arguments: [(8, false), (128, true)])
    func everyAcknowledgedRecordSurvivesRepeatedSIGKILL(group: Int, presigned: Bool) throws {
        let directory = try Fixture.temporaryDirectory().appendingPathComponent("log")
        var acknowledged: [UInt64: String] = [:]
        for round in 0..<(presigned ? 5 : 3) {
            let acks = try Self.killWriter(directory: directory, after: 150 + 97 * round + (presigned ? 1000 * round : 0),
                                           group: group, presigned: presigned)
            #expect(!acks.isEmpty, "round \(round): the writer acknowledged nothing")
            for (index, serial) in acks { acknowledged[index] = serial }
        }
        // Restart: opening recovers a torn tail, closing signs a final checkpoint.
        print("crash test: \(acknowledged.count) acknowledged records")
        let log = try Fixture.openLog(directory)
        print("crash test: reopen cut \(log.recovery.segmentBytesDropped) bytes (\(log.recovery.segmentReason ?? "clean tail")), log holds \(log.size)")
        try log.close()
        var stored: [UInt64: String] = [:]
        _ = try AuditLogReader.read(directory: directory) { index, record, _ in stored[index] = record.correlationId }
        for (index, serial) in acknowledged {
            #expect(stored[index] == serial, "acknowledged record \(index) (\(serial)) is missing or different")
        }
        let summary = try AuditVerifier(trust: Fixture.trust()).verify(directory: directory)
        #expect(summary.records == UInt64(stored.count) && summary.records >= UInt64(acknowledged.count))
        #expect(summary.recordsAfterLastCheckpoint == 0)
    }
}
