import DirectLinkCrypto
import Foundation

/// The segment file format (docs/audit.md describes it byte by byte).
///
/// A segment is `segment-<6-digit sequence>-<yyyyMMdd UTC>.dlog`: a 16-byte header ("DLAUDSEG" ‖ u64 index of its
/// first record) and then frames "DLR1" ‖ u32 body length ‖ body (the record's canonical encoding) ‖
/// SHA-256(0x00 ‖ body) — the Merkle leaf hash doubles as the frame checksum. Each group's records are followed, in the
/// same write, by a seal: "DLS1" ‖ u32 12 ‖ u64 first leaf index ‖ u32 record count ‖ HMAC-SHA256 under a key derived
/// from the audit key over "DLS1" ‖ those 12 bytes ‖ the previous seal's MAC ‖ the group's leaf hashes. Seals are not
/// leaves.
enum Segment {
    static let headerMagic = Array("DLAUDSEG".utf8)
    static let frameMagic = Array("DLR1".utf8)
    static let sealMagic = Array("DLS1".utf8)
    static let sealBodyBytes = 12
    static let sealBytes = 4 + 4 + sealBodyBytes + MerkleHash.bytes
    /// The label of the seal key derived from the audit key (`PrivateKey.derivedSecret`).
    static let sealKeyLabel = "DirectLink audit group seal v1"
    static let headerBytes = 16
    static let frameOverheadBytes = 4 + 4 + MerkleHash.bytes

    static func header(firstIndex: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: headerBytes)
        writer.bytes(headerMagic)
        writer.u64(firstIndex)
        return writer.buffer
    }

    /// Appends one frame whose body `encodeBody` writes straight into `out`, and returns the leaf hash.
    /// The hash input 0x00 ‖ body is hashed in place: the length byte just before the body is briefly set to
    /// 0x00 and restored, so the body is never copied.
    static func appendFrame(to out: inout ByteWriter, encodeBody: (inout ByteWriter) -> Void) -> [UInt8] {
        out.bytes(frameMagic)
        let lengthAt = out.buffer.count
        out.u32(0)
        let bodyStart = out.buffer.count
        encodeBody(&out)
        let bodyLength = out.buffer.count - bodyStart
        precondition(bodyLength <= Int(UInt32.max), "record sizes are checked against limits before encoding")
        let length = UInt32(bodyLength)
        out.buffer[lengthAt] = UInt8(truncatingIfNeeded: length >> 24)
        out.buffer[lengthAt + 1] = UInt8(truncatingIfNeeded: length >> 16)
        out.buffer[lengthAt + 2] = UInt8(truncatingIfNeeded: length >> 8)
        let lastLengthByte = UInt8(truncatingIfNeeded: length)
        out.buffer[lengthAt + 3] = 0x00
        let leafHash = out.buffer.withUnsafeBytes { MerkleHash.sha256(UnsafeRawBufferPointer(rebasing: $0[(bodyStart - 1)...])) }
        out.buffer[lengthAt + 3] = lastLengthByte
        out.bytes(leafHash)
        return leafHash
    }
}

extension Segment {
    /// What a log's first seal chains to.
    static let noSealMAC = [UInt8](repeating: 0, count: MerkleHash.bytes)

    /// Appends the seal of the group whose leaf hashes are `hashes`, the first being leaf `firstIndex`, chained to
    /// the log's previous seal; returns its MAC.
    static func appendSeal(to out: inout ByteWriter, firstIndex: UInt64, previousMAC: [UInt8], hashes: [[UInt8]], key: [UInt8]) -> [UInt8] {
        precondition(!hashes.isEmpty && hashes.count <= Int(UInt32.max), "a group holds at least one record and is limited by groupRecordsMax")
        let mac = sealMAC(key: key, firstIndex: firstIndex, previousMAC: previousMAC, hashes: hashes[...])
        out.bytes(sealMagic)
        out.u32(UInt32(sealBodyBytes))
        out.u64(firstIndex)
        out.u32(UInt32(hashes.count))
        out.bytes(mac)
        return mac
    }

    /// HMAC-SHA256(key, "DLS1" ‖ u64 firstIndex ‖ u32 count ‖ previous seal's MAC ‖ leaf hashes).
    static func sealMAC(key: [UInt8], firstIndex: UInt64, previousMAC: [UInt8], hashes: ArraySlice<[UInt8]>) -> [UInt8] {
        var input = ByteWriter(capacity: 48 + hashes.count * MerkleHash.bytes)
        input.bytes(sealMagic)
        input.u64(firstIndex)
        input.u32(UInt32(hashes.count))
        input.bytes(previousMAC)
        for hash in hashes { input.bytes(hash) }
        return input.buffer.withUnsafeBytes { MessageAuthentication.hmacSHA256(key: key, $0) }
    }
}

/// A segment's place in the sequence, parsed from its file name.
struct SegmentName: Comparable, Sendable {
    let sequence: Int
    /// UTC date the segment was opened, yyyyMMdd.
    let day: String

    var fileName: String { "segment-" + String(format: "%06d", sequence) + "-" + day + ".dlog" }

    init(sequence: Int, day: String) {
        self.sequence = sequence
        self.day = day
    }

    init?(fileName: String) {
        let parts = fileName.split(separator: "-")
        guard parts.count == 3, parts[0] == "segment", parts[2].hasSuffix(".dlog"),
              let number = Int(parts[1]), parts[1].count == 6 else { return nil }
        let day = String(parts[2].dropLast(5))
        guard day.count == 8, day.allSatisfy(\.isASCII), Int(day) != nil else { return nil }
        self.init(sequence: number, day: day)
    }

    static func < (lhs: SegmentName, rhs: SegmentName) -> Bool { lhs.sequence < rhs.sequence }

    /// Every segment in `directory`, in sequence order; a gap in the numbering is segmentMissing.
    static func list(in directory: URL) throws -> [SegmentName] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw AuditError(.io, "cannot list \(directory.path): \(error.localizedDescription)")
        }
        let segments = names.compactMap(SegmentName.init(fileName:)).sorted()
        for (position, segment) in segments.enumerated() where segment.sequence != position + 1 {
            throw AuditError(.segmentMissing, "expected segment number \(position + 1), found \(segment.fileName)")
        }
        return segments
    }

    static func utcDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
