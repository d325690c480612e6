import DirectLinkCrypto
import Foundation

extension AuditLog {
    struct OpenedSegments {
        var tree = MerkleTree()
        var bySerial: [String: [RecordLocation]] = [:]
        var file: AppendFile
        var name: SegmentName
        /// The MAC of the last seal kept, which the next group's seal chains to.
        var lastSealMAC = Segment.noSealMAC
    }

    /// Scans every segment, rebuilds the tree and the serial index, truncates a torn tail in the newest segment,
    /// and opens the newest segment for appending (creating the first one in an empty directory).
    /// Records below `protectedRecords` are covered by a signed checkpoint: a "torn tail" among them is damage,
    /// reported without cutting anything. Records beyond them must be sealed (`Segment`): the records after the last
    /// seal that authenticates under `sealKey` were never acknowledged — a group's seal is in the same write and the
    /// group is acknowledged only once that write is durable — or were not written by this log's key holder; they
    /// are cut from the newest segment and reported, so no later checkpoint signs them. Unsealed records beyond
    /// the checkpoint anywhere else, or a seal that fails its MAC and is not the newest segment's last, are refused.
    static func openSegments(directory: URL, limits: AuditLimits, now: Date, protectedRecords: UInt64, sealKey: [UInt8],
                             recovery: inout Recovery) throws -> OpenedSegments {
        let names = try SegmentName.list(in: directory)
        var tree = MerkleTree()
        var bySerial: [String: [RecordLocation]] = [:]
        var newestDataEnd = 0
        var previousMAC = Segment.noSealMAC
        for (position, name) in names.enumerated() {
            let path = directory.appendingPathComponent(name.fileName).path
            let data = try AppendFile.read(path)
            let isNewest = position == names.count - 1
            let firstIndex = tree.size
            let scan = try SegmentScanner.scan(data, name: name, firstIndex: firstIndex, isNewest: isNewest, limits: limits)
            var cut = scan.tornTail.map { (offset: $0.offset, reason: $0.reason) }
            let kept = try sealedRecords(scan, name: name, firstIndex: firstIndex, isNewest: isNewest,
                                         protectedRecords: protectedRecords, sealKey: sealKey, previousMAC: &previousMAC)
            if kept < scan.frames.count {
                let dropped = scan.frames.count - kept
                cut = (scan.frames[kept].bodyStart - 8, "\(dropped) record(s) after the last authenticated group seal, never acknowledged"
                       + (cut.map { "; then \($0.reason)" } ?? ""))
            }
            newestDataEnd = max(cut?.offset ?? scan.dataEnd, Segment.headerBytes)
            for frame in scan.frames.prefix(kept) {
                tree.append(leafHash: frame.leafHash)
                let key: (corpId: String, serialNo: String)
                do {
                    key = try AuditRecord.decodeSerialKey(data[frame.bodyStart..<frame.bodyEnd])
                } catch let error as AuditError {
                    throw AuditError(error.code, "\(name.fileName): \(error.reason)", recordIndex: frame.leafIndex)
                }
                bySerial[serialKey(key.corpId, key.serialNo), default: []].append(
                    RecordLocation(leafIndex: frame.leafIndex, segment: name, bodyOffset: frame.bodyStart,
                                   bodyBytes: frame.bodyEnd - frame.bodyStart))
            }
            if let cut {
                guard tree.size >= protectedRecords else {
                    throw AuditError(.checkpointBeyondLog, "\(name.fileName) offset \(cut.offset): \(cut.reason), but the newest checkpoint covers \(protectedRecords) records; nothing was cut",
                                     recordIndex: tree.size)
                }
                let file = try AppendFile(path: path, reserveBytes: limits.segmentReserveBytes)
                recovery.segmentBytesDropped = data.count - cut.offset
                recovery.segmentReason = cut.reason
                if cut.offset < Segment.headerBytes {
                    try file.truncate(to: 0)
                    try file.write(Segment.header(firstIndex: tree.size))
                    try file.sync()
                } else {
                    try file.truncate(to: cut.offset)
                }
            }
        }
        if let newest = names.last {
            let file = try AppendFile(path: directory.appendingPathComponent(newest.fileName).path, reserveBytes: limits.segmentReserveBytes)
            // Past a cut the file was truncated (`dataEnd` is its length); otherwise reserved zeros may follow the data.
            try file.setDataEnd(min(newestDataEnd, file.allocated))
            return OpenedSegments(tree: tree, bySerial: bySerial, file: file, name: newest, lastSealMAC: previousMAC)
        }
        let first = SegmentName(sequence: 1, day: SegmentName.utcDay(now))
        let file = try createSegment(first, firstIndex: 0, directory: directory, reserveBytes: limits.segmentReserveBytes)
        return OpenedSegments(tree: tree, bySerial: bySerial, file: file, name: first)
    }

    /// How many of the segment's frames to keep: all but the newest segment's records that are neither under the
    /// checkpoint nor under a seal that authenticates. Checks the MAC of every seal reaching past the checkpoint,
    /// each chained to the one before it (`previousMAC`, carried from segment to segment and left at the last kept).
    private static func sealedRecords(_ scan: SegmentScan, name: SegmentName, firstIndex: UInt64, isNewest: Bool,
                                      protectedRecords: UInt64, sealKey: [UInt8], previousMAC: inout [UInt8]) throws -> Int {
        let endIndex = firstIndex + UInt64(scan.frames.count)
        var sealedEnd = firstIndex
        for (position, seal) in scan.seals.enumerated() {
            guard seal.endIndex > protectedRecords else {
                // Under the signed checkpoint: nothing to authenticate, but the next seal chains to this one.
                previousMAC = seal.mac
                continue
            }
            if seal.firstIndex > max(sealedEnd, protectedRecords) {
                throw AuditError(.sealMissing, "\(name.fileName): records \(max(sealedEnd, protectedRecords))..<\(seal.firstIndex) are neither sealed nor covered by a checkpoint",
                                 recordIndex: max(sealedEnd, protectedRecords))
            }
            let hashes = scan.frames[Int(seal.firstIndex - firstIndex)..<Int(seal.endIndex - firstIndex)].map(\.leafHash)
            let expected = Segment.sealMAC(key: sealKey, firstIndex: seal.firstIndex, previousMAC: previousMAC, hashes: hashes[...])
            guard MessageAuthentication.equal(expected, seal.mac) else {
                // The newest segment's last seal may be torn (its blocks half written): its group was never
                // acknowledged and is cut like an unsealed one. Any other seal that fails was changed.
                if isNewest, position == scan.seals.count - 1, seal.endIndex == endIndex { break }
                throw AuditError(.sealInvalid, "\(name.fileName): the seal of records \(seal.firstIndex)..<\(seal.endIndex) does not authenticate them under this log's audit key after the seal before it",
                                 recordIndex: seal.firstIndex, recordRangeEnd: seal.endIndex)
            }
            previousMAC = seal.mac
            sealedEnd = seal.endIndex
        }
        let keptEnd = max(sealedEnd, min(protectedRecords, endIndex), firstIndex)
        guard keptEnd < endIndex else { return scan.frames.count }
        guard isNewest else {
            throw AuditError(.sealMissing, "\(name.fileName): records \(keptEnd)..<\(endIndex) are neither sealed nor covered by a checkpoint",
                             recordIndex: keptEnd, recordRangeEnd: endIndex)
        }
        return Int(keptEnd - firstIndex)
    }

    static func createSegment(_ name: SegmentName, firstIndex: UInt64, directory: URL, reserveBytes: Int) throws -> AppendFile {
        let path = directory.appendingPathComponent(name.fileName).path
        guard !FileManager.default.fileExists(atPath: path) else { throw AuditError(.io, "\(name.fileName) already exists") }
        let file = try AppendFile(path: path, reserveBytes: reserveBytes)
        try file.write(Segment.header(firstIndex: firstIndex))
        try file.sync()
        try AppendFile.syncDirectory(directory.path)
        return file
    }

    /// Starts a new segment when the current one is full or was opened on an earlier UTC day.
    /// Caller holds `lock`.
    func rotateIfNeeded(now: Date) throws {
        // Unix time has exactly 86,400 s per day, as UTC dates (no leap seconds): same day number, same date.
        let dayNumber = Int((now.timeIntervalSince1970 / 86_400).rounded(.down))
        let today: String
        if let lastDay, lastDay.number == dayNumber {
            today = lastDay.name
        } else {
            // The name from the number itself, so the two cannot straddle midnight apart.
            today = SegmentName.utcDay(Date(timeIntervalSince1970: Double(dayNumber) * 86_400))
            lastDay = (dayNumber, today)
        }
        let hasRecords = segment.size > Segment.headerBytes
        guard hasRecords, segment.size >= limits.segmentBytesMax || today != segmentName.day else { return }
        let next = SegmentName(sequence: segmentName.sequence + 1, day: today)
        // A sealed segment ends with its last record: its reserved zeros are cut before the next one starts.
        try segment.trimReserve()
        segment = try Self.createSegment(next, firstIndex: tree.size, directory: directory, reserveBytes: limits.segmentReserveBytes)
        segmentName = next
    }
}
