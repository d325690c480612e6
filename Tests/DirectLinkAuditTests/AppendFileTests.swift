@testable import DirectLinkAudit
import Foundation
import Testing

/// `AppendFile` against a model (a byte array): after every write, sync, truncation and reopening, the file holds
/// exactly the model's bytes up to `size` and zeros from there to its end — with direct writes (whole blocks, the
/// partial last block rewritten each time) and through the page cache.
@Suite struct AppendFileTests {
    private struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private static func expectMatches(_ file: AppendFile, _ model: [UInt8], _ step: String) throws {
        let bytes = try AppendFile.read(file.path)
        #expect(file.size == model.count, "\(step): size")
        #expect(bytes.count == file.allocated, "\(step): the file's length is `allocated`")
        // memcmp, not element-wise comparisons (this runs on megabytes in a debug build); offsets, not the arrays,
        // in a failure.
        let dataMatches = model.isEmpty || bytes.count >= model.count && bytes.withUnsafeBytes { file in
            model.withUnsafeBytes { memcmp(file.baseAddress!, $0.baseAddress!, model.count) == 0 }
        }
        #expect(dataMatches, "\(step): data differs, first at offset \(zip(bytes, model).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? bytes.count)")
        let zeros = [UInt8](repeating: 0, count: max(0, bytes.count - model.count))
        let zerosFollow = zeros.isEmpty || bytes.withUnsafeBytes { file in
            zeros.withUnsafeBytes { memcmp(file.baseAddress! + model.count, $0.baseAddress!, zeros.count) == 0 }
        }
        #expect(zerosFollow, "\(step): a byte after the data is not zero")
    }

    @Test(arguments: [true, false])
    func writesTruncationsAndReopeningMatchTheModel(direct: Bool) throws {
        let directory = try Fixture.temporaryDirectory()
        let path = directory.appendingPathComponent("segment.dlog").path
        let reserve = 16 << 10
        var file = try AppendFile(path: path, reserveBytes: reserve, direct: direct)
        if !direct { #expect(!file.isDirect, "direct writes only when asked for") }
        var model: [UInt8] = []
        var random = SplitMix64(state: direct ? 1 : 2)
        for step in 0..<200 {
            switch Int.random(in: 0..<20, using: &random) {
            case 0:
                // Reopen: the scan found the data end; zeros follow it.
                file = try AppendFile(path: path, reserveBytes: reserve, direct: direct)
                try file.setDataEnd(model.count)
            case 1 where !model.isEmpty:
                let length = Int.random(in: 0...model.count, using: &random)
                try file.truncate(to: length)
                model.removeLast(model.count - length)
            case 2:
                try file.trimReserve()
            default:
                // Lengths around and across block boundaries, now and then larger than the whole reserve.
                let length = Bool.random(using: &random) ? Int.random(in: 0...5000, using: &random)
                                                         : Int.random(in: 4090...40000, using: &random)
                let bytes = (0..<length).map { _ in UInt8.random(in: 1...255, using: &random) }
                try file.write(bytes)
                model += bytes
            }
            if step % 7 == 0 { try file.sync() }
            try Self.expectMatches(file, model, "step \(step)")
        }
        try file.sync()
        let reopened = try AppendFile(path: path, reserveBytes: reserve, direct: direct)
        try reopened.setDataEnd(model.count)
        try reopened.write([0xAB])
        model.append(0xAB)
        try Self.expectMatches(reopened, model, "after reopening")
    }

    /// Whether the test machine's temporary directory takes O_DIRECT (ext4 and xfs do; some container filesystems
    /// do not, and there the log uses the page cache, which the model test covers).
    static let temporaryDirectoryTakesDirectWrites: Bool = {
        guard let directory = try? Fixture.temporaryDirectory(),
              let probe = try? AppendFile(path: directory.appendingPathComponent("probe").path, reserveBytes: 4096) else { return false }
        return probe.isDirect
    }()

    /// On a filesystem with direct I/O, segments are written with it, and a log written that way reads back and
    /// verifies like any other; files without a reserve (checkpoints, the certificate) go through the page cache.
    @Test(.enabled(if: temporaryDirectoryTakesDirectWrites))
    func segmentsUseDirectWritesWhereTheFilesystemAllowsThem() throws {
        let directory = try Fixture.temporaryDirectory()
        let plain = try AppendFile(path: directory.appendingPathComponent("plain").path)
        #expect(!plain.isDirect)
        let log = try Fixture.openLog(Fixture.temporaryDirectory())
        #expect(log.segment.isDirect)
        let signer = try Fixture.makerSigner()
        for number in 0..<25 { _ = try log.append(try Fixture.exchange(serial: "D\(number)", signer: signer)) }
        // Still open, so no checkpoint covers the records yet: verified as a copy of a live log.
        #expect(try AuditVerifier(trust: Fixture.trust(), allowUncovered: true).verify(directory: log.directory).records == 50)
        try log.close()
        #expect(try AuditVerifier(trust: Fixture.trust()).verify(directory: log.directory).records == 50)
    }
}
