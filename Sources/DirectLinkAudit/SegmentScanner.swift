/// One frame found in a segment: where its body lies in the file and the leaf hash it carries (already checked).
struct ScannedFrame: Sendable {
    let leafIndex: UInt64
    let bodyStart: Int
    let bodyEnd: Int
    let leafHash: [UInt8]
}

/// A group seal found in a segment (structure checked; its MAC is checked by `AuditLog`, which holds the key).
struct ScannedSeal: Sendable {
    let firstIndex: UInt64
    let count: UInt64
    let mac: [UInt8]
    /// File offset just past the seal.
    let end: Int

    var endIndex: UInt64 { firstIndex + count }
}

/// The result of reading one segment: its good frames and seals and, for the newest segment only, a torn tail.
struct SegmentScan: Sendable {
    var frames: [ScannedFrame] = []
    var seals: [ScannedSeal] = []
    /// File offset where a torn tail starts (the file should be truncated there), and why.
    var tornTail: (offset: Int, reason: String)?
    /// Where the last good frame ends: the file's length, or the start of the zeros reserved after it.
    var dataEnd = 0
}

/// Reads frames, checking them in the order docs/audit.md lists: header, framing, checksum, index.
///
/// A defect is a torn tail only in the newest segment and only when no complete, correctly checksummed frame
/// follows it: a crash can leave a partial last write, never damage followed by good data. Anything else is
/// corruption and throws with the leaf index of the first bad record.
enum SegmentScanner {
    static func scan(_ data: [UInt8], name: SegmentName, firstIndex: UInt64, isNewest: Bool,
                     limits: AuditLimits) throws -> SegmentScan {
        var scan = SegmentScan()
        guard data.count >= Segment.headerBytes else {
            if isNewest { scan.tornTail = (0, "segment header incomplete (\(data.count) bytes)"); return scan }
            throw AuditError(.segmentHeader, "\(name.fileName): header incomplete", recordIndex: firstIndex)
        }
        var header = ByteReader(data[0..<Segment.headerBytes])
        let magic = Array(try header.take(8))
        let claimedFirst = try header.u64()
        guard magic == Segment.headerMagic else {
            throw AuditError(.segmentHeader, "\(name.fileName): not a DirectLink audit segment", recordIndex: firstIndex)
        }
        guard claimedFirst == firstIndex else {
            throw AuditError(.segmentMissing, "\(name.fileName) starts at record \(claimedFirst) but the segments before it end at \(firstIndex)",
                             recordIndex: firstIndex)
        }
        var offset = Segment.headerBytes
        var index = firstIndex
        while offset < data.count {
            // Zeros to the end of the file are space reserved for records (`AppendFile.reserveBytes`), not a record.
            // Cutting records off by zeroing them is no more hidden than cutting the file: the next segment's first
            // index and the signed checkpoints still count them.
            if data[offset] == 0, data[offset...].allSatisfy({ $0 == 0 }) { break }
            if data.count - offset >= 4, Array(data[offset..<offset + 4]) == Segment.sealMagic {
                // A seal names the records just before it, after the previous seal of this segment.
                let groupStart = scan.seals.last?.endIndex ?? firstIndex
                guard let seal = seal(in: data, at: offset), seal.count > 0, seal.endIndex == index, seal.firstIndex >= groupStart else {
                    // The last bytes of a group's write may be half on the disk: at the very end that is a torn tail
                    // (its group was never acknowledged); anywhere else the records around it were changed.
                    if isNewest, !hasGoodFrame(in: data, after: offset, limits: limits) {
                        scan.tornTail = (offset, "group seal incomplete or not naming the records before it")
                        scan.dataEnd = offset
                        return scan
                    }
                    throw AuditError(.recordIndex, "\(name.fileName) offset \(offset): a group seal is malformed or does not name the records \(groupStart)..<\(index) before it; a record was deleted, inserted or moved",
                                     recordIndex: index)
                }
                scan.seals.append(seal)
                offset = seal.end
                continue
            }
            switch frame(in: data, at: offset, limits: limits) {
            case .good(let bodyEnd, let leafHash):
                let claimed = data[offset + 9..<offset + 17].reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
                guard claimed == index else {
                    throw AuditError(.recordIndex, "\(name.fileName) offset \(offset): the record at position \(index) says it is record \(claimed); a record was deleted, inserted or moved",
                                     recordIndex: index)
                }
                scan.frames.append(ScannedFrame(leafIndex: index, bodyStart: offset + 8, bodyEnd: bodyEnd, leafHash: leafHash))
                offset = bodyEnd + MerkleHash.bytes
                index += 1
            case .bad(let code, let reason):
                if isNewest, !hasGoodFrame(in: data, after: offset, limits: limits) {
                    scan.tornTail = (offset, reason)
                    scan.dataEnd = offset
                    return scan
                }
                throw AuditError(code, "\(name.fileName) offset \(offset): \(reason)", recordIndex: index)
            }
        }
        scan.dataEnd = offset
        return scan
    }

    /// The seal starting at `offset`, or nil when it is cut off or its length field is wrong.
    static func seal(in data: [UInt8], at offset: Int) -> ScannedSeal? {
        guard data.count - offset >= Segment.sealBytes else { return nil }
        var reader = ByteReader(data[offset + 4..<offset + Segment.sealBytes])
        guard let length = try? reader.u32(), length == UInt32(Segment.sealBodyBytes),
              let first = try? reader.u64(), let count = try? reader.u32(),
              let mac = try? reader.take(MerkleHash.bytes) else { return nil }
        let (end, overflow) = first.addingReportingOverflow(UInt64(count))
        guard !overflow, end <= UInt64(Int64.max) else { return nil }
        return ScannedSeal(firstIndex: first, count: UInt64(count), mac: Array(mac), end: offset + Segment.sealBytes)
    }

    enum FrameCheck {
        case good(bodyEnd: Int, leafHash: [UInt8])
        case bad(AuditError.Code, String)
    }

    static func frame(in data: [UInt8], at offset: Int, limits: AuditLimits) -> FrameCheck {
        let remaining = data.count - offset
        guard remaining >= 8 else { return .bad(.recordFraming, "\(remaining) bytes left, too few for a frame header") }
        guard Array(data[offset..<offset + 4]) == Segment.frameMagic else { return .bad(.recordFraming, "frame magic missing") }
        let length = data[offset + 4..<offset + 8].reduce(0) { ($0 << 8) | Int($1) }
        let lengthMax = limits.messageBytesMax + 8 * 1024
        guard length >= 44, length <= lengthMax else { return .bad(.recordFraming, "frame length \(length) out of range") }
        guard remaining - 8 - MerkleHash.bytes >= length else {
            return .bad(.recordFraming, "frame of \(length) bytes runs past the end of the file")
        }
        let bodyEnd = offset + 8 + length
        let leafHash = data.withUnsafeBufferPointer { buffer -> [UInt8] in
            var input = [UInt8](repeating: 0, count: 1)
            input.append(contentsOf: buffer[offset + 8..<bodyEnd])
            return MerkleHash.sha256(input)
        }
        guard Array(data[bodyEnd..<bodyEnd + MerkleHash.bytes]) == leafHash else {
            return .bad(.recordChecksum, "record checksum (leaf hash) does not match its bytes")
        }
        return .good(bodyEnd: bodyEnd, leafHash: leafHash)
    }

    /// True when a complete, valid frame starts anywhere after `offset`.
    static func hasGoodFrame(in data: [UInt8], after offset: Int, limits: AuditLimits) -> Bool {
        var candidate = offset + 1
        let magic = Segment.frameMagic
        while candidate + 8 <= data.count {
            if data[candidate] == magic[0], Array(data[candidate..<candidate + 4]) == magic,
               case .good = frame(in: data, at: candidate, limits: limits) {
                return true
            }
            candidate += 1
        }
        return false
    }
}
