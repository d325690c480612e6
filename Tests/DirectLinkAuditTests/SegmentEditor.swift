import DirectLinkAudit
import Foundation

/// Edits segment files frame by frame, the way an attacker with file access would.
///
/// `frames` are the record frames only: the group seals (`DLS1`) between them are left out of `frames` and of
/// `bytes`, so an edited file saved with `save()` has no seals. The offline verifier does not need them; a writer
/// reopening such a file keeps only the records a checkpoint covers. `original` and `recordOffsets` describe the
/// file as it was read, seals included, up to the zeros reserved after the data.
struct SegmentEditor {
    let path: String
    var header: [UInt8]
    var frames: [[UInt8]]
    let original: [UInt8]
    let recordOffsets: [Int]
    let sealCount: Int

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw FixtureError("cannot read \(path)") }
        let bytes = [UInt8](data)
        self.path = path
        header = Array(bytes[0..<16])
        frames = []
        var offsets: [Int] = []
        var seals = 0
        var offset = 16
        // Stops at the zeros an open segment reserves after its last record (`save` writes the frames only).
        while offset + 8 <= bytes.count, bytes[offset...].contains(where: { $0 != 0 }) {
            let length = bytes[offset + 4..<offset + 8].reduce(0) { ($0 << 8) | Int($1) }
            let end = offset + 8 + length + 32
            guard end <= bytes.count else { break }
            if Array(bytes[offset..<offset + 4]) == Array("DLS1".utf8) {
                seals += 1
            } else {
                frames.append(Array(bytes[offset..<end]))
                offsets.append(offset)
            }
            offset = end
        }
        original = Array(bytes[0..<offset])
        recordOffsets = offsets
        sealCount = seals
    }

    var bytes: [UInt8] { header + frames.flatMap { $0 } }

    func save() throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Flips one bit in the message bytes near the end of frame `index`'s body.
    mutating func flipByte(inFrame index: Int, recomputeChecksum: Bool) {
        let bodyEnd = frames[index].count - 32
        frames[index][bodyEnd - 10] ^= 0x01
        if recomputeChecksum {
            let body = Array(frames[index][8..<bodyEnd])
            frames[index].replaceSubrange(bodyEnd..., with: MerkleHash.leaf(body))
        }
    }
}

enum CheckpointForger {
    static func append(_ checkpoint: Checkpoint, to directory: URL) throws {
        let url = directory.appendingPathComponent("checkpoints.log")
        guard let handle = FileHandle(forWritingAtPath: url.path) else { throw FixtureError("cannot open checkpoints.log") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(checkpoint.stored))
    }

    static func rewrite(_ directory: URL, _ edit: (inout [Checkpoint]) throws -> Void) throws {
        let url = directory.appendingPathComponent("checkpoints.log")
        var checkpoints = try AuditLogReader.read(directory: directory).checkpoints
        try edit(&checkpoints)
        try Data(checkpoints.flatMap(\.stored)).write(to: url)
    }
}
