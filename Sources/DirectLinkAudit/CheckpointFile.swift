import Foundation

/// `checkpoints.log`: stored checkpoints (see `Checkpoint.stored`) one after another, append-only.
enum CheckpointFile {
    static let fileName = "checkpoints.log"

    struct Contents {
        var checkpoints: [Checkpoint] = []
        /// Offset where an incomplete last block starts, if the file ends in one.
        var tornOffset: Int?
    }

    /// Reads every complete block; a final block without its closing empty line is a torn tail.
    /// A complete block that does not parse is corruption and throws with its position.
    static func read(_ bytes: [UInt8]) throws -> Contents {
        var contents = Contents()
        var start = 0
        var index = 0
        while start < bytes.count {
            guard let end = blockEnd(bytes, from: start) else {
                contents.tornOffset = start
                return contents
            }
            let text = String(decoding: bytes[start..<end], as: UTF8.self)
            do {
                contents.checkpoints.append(try Checkpoint.parse(stored: text))
            } catch let error as AuditError {
                throw AuditError(error.code, error.reason, checkpointIndex: index)
            }
            start = end + 2
            index += 1
        }
        return contents
    }

    /// Index of the "\n\n" that closes the block starting at `start`, pointing at its first "\n"… exclusive end of text.
    private static func blockEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == 0x0A, bytes[index + 1] == 0x0A { return index }
            index += 1
        }
        return nil
    }
}
