import Foundation

/// The segment file format (docs/audit.md describes it byte by byte).
///
/// A segment is `segment-<6-digit sequence>-<yyyyMMdd UTC>.dlog`: a 16-byte header ("DLAUDSEG" ‖ u64 index of its
/// first record) and then frames "DLR1" ‖ u32 body length ‖ body (the record's canonical encoding) ‖
/// SHA-256(0x00 ‖ body) — the Merkle leaf hash doubles as the frame checksum.
enum Segment {
    static let headerMagic = Array("DLAUDSEG".utf8)
    static let frameMagic = Array("DLR1".utf8)
    static let headerBytes = 16
    static let frameOverheadBytes = 4 + 4 + MerkleHash.bytes

    static func header(firstIndex: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: headerBytes)
        writer.bytes(headerMagic)
        writer.u64(firstIndex)
        return writer.buffer
    }

    /// Appends one frame for `body` to `out` and returns the leaf hash.
    static func appendFrame(body: [UInt8], to out: inout [UInt8]) -> [UInt8] {
        let leafHash = MerkleHash.leaf(body)
        var writer = ByteWriter(capacity: body.count + frameOverheadBytes)
        writer.bytes(frameMagic)
        writer.u32(UInt32(body.count))
        writer.bytes(body)
        writer.bytes(leafHash)
        out.append(contentsOf: writer.buffer)
        return leafHash
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
