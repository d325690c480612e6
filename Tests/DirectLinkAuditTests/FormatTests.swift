@testable import DirectLinkAudit
import Foundation
import Testing

/// The byte formats: signatures convert both ways, decoders refuse short or odd input without crashing.
struct FormatTests {
    @Test func checkpointSignatureConvertsBetweenRawAndDER() throws {
        let key = try Fixture.auditKey()
        for size in UInt64(1)...20 {
            let checkpoint = try Checkpoint.sign(treeSize: size, rootHash: MerkleHash.leaf([UInt8(size)]), time: Date(), key: key)
            let raw = try ECDSASignatureDER.decode(der: checkpoint.signature)
            #expect(raw.count == 64)
            #expect(try ECDSASignatureDER.encode(raw: raw) == checkpoint.signature)
            #expect(checkpoint.isSigned(by: try Fixture.auditCertificate()))
        }
    }

    @Test func derWithHighBitHalvesAndLeadingZerosRoundTrips() throws {
        let raw = [UInt8](repeating: 0, count: 3) + [UInt8](repeating: 0x80, count: 29) + [UInt8](repeating: 0xFF, count: 32)
        let der = try ECDSASignatureDER.encode(raw: raw)
        #expect(Array(der[2...5]) == [0x02, 30, 0x00, 0x80])  // r: three leading zeros dropped, one sign byte added
        #expect(Array(der[34...36]) == [0x02, 33, 0x00])  // s: a sign byte before 0xFF…
        #expect(try ECDSASignatureDER.decode(der: der) == raw)
    }

    @Test func storedCheckpointRoundTripsAndRejectsNonCanonicalText() throws {
        let checkpoint = try Checkpoint.sign(treeSize: 7, rootHash: MerkleHash.leaf([7]), time: Date(), key: Fixture.auditKey())
        let stored = String(decoding: checkpoint.stored.dropLast(2), as: UTF8.self)
        #expect(try Checkpoint.parse(stored: stored) == checkpoint)
        #expect(throws: AuditError.self) { try Checkpoint.parse(stored: stored.replacingOccurrences(of: "\n7\n", with: "\n07\n")) }
        #expect(throws: AuditError.self) { try Checkpoint.parse(stored: "directlink-audit-v2" + stored.dropFirst(19)) }
    }

    @Test func everyTruncationOfARecordIsRefused() throws {
        let encoded = try Fixture.exchange(serial: "T1", signer: Fixture.makerSigner())[1].encode(leafIndex: 3)
        for length in 0..<encoded.count {
            #expect(throws: AuditError.self) { _ = try AuditRecord.decode(encoded[..<length]) }
        }
        #expect(throws: AuditError.self) { _ = try AuditRecord.decode((encoded + [0])[...]) }
    }

    @Test func segmentNamesParseStrictly() {
        #expect(SegmentName(fileName: "segment-000012-20261125.dlog") == SegmentName(sequence: 12, day: "20261125"))
        #expect(SegmentName(fileName: "segment-12-20261125.dlog") == nil)
        #expect(SegmentName(fileName: "segment-000012-2026112.dlog") == nil)
        #expect(SegmentName(fileName: "segment-000012-20261125.log") == nil)
    }

    @Test func secondWriterOnTheSameFolderIsRefused() throws {
        let directory = try Fixture.temporaryDirectory()
        let first = try Fixture.openLog(directory)
        #expect(throws: AuditError.self) { _ = try Fixture.openLog(directory) }
        withExtendedLifetime(first) {}
    }
}

extension FormatTests {
    @Test func serialKeyDecodesWithoutTheMessage() throws {
        let record = try Fixture.exchange(serial: "K1", signer: Fixture.makerSigner())[0]
        let key = try AuditRecord.decodeSerialKey(record.encode(leafIndex: 9)[...])
        #expect(key.corpId == "CORPA001" && key.serialNo == "K1")
    }
}
