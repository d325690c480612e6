import Foundation

extension AuditLog {
    struct OpenedSegments {
        var tree = MerkleTree()
        var bySerial: [String: [RecordLocation]] = [:]
        var file: AppendFile
        var name: SegmentName
    }

    /// Scans every segment, rebuilds the tree and the serial index, truncates a torn tail in the newest segment,
    /// and opens the newest segment for appending (creating the first one in an empty directory).
    /// Records below `protectedRecords` are covered by a signed checkpoint: a "torn tail" among them is damage,
    /// reported without cutting anything.
    static func openSegments(directory: URL, limits: AuditLimits, now: Date, protectedRecords: UInt64,
                             recovery: inout Recovery) throws -> OpenedSegments {
        let names = try SegmentName.list(in: directory)
        var tree = MerkleTree()
        var bySerial: [String: [RecordLocation]] = [:]
        var newestDataEnd = 0
        for (position, name) in names.enumerated() {
            let path = directory.appendingPathComponent(name.fileName).path
            let data = try AppendFile.read(path)
            let isNewest = position == names.count - 1
            let scan = try SegmentScanner.scan(data, name: name, firstIndex: tree.size, isNewest: isNewest, limits: limits)
            newestDataEnd = max(scan.dataEnd, Segment.headerBytes)
            for frame in scan.frames {
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
            if let torn = scan.tornTail {
                guard tree.size >= protectedRecords else {
                    throw AuditError(.checkpointBeyondLog, "\(name.fileName) offset \(torn.offset): \(torn.reason), but the newest checkpoint covers \(protectedRecords) records; nothing was cut",
                                     recordIndex: tree.size)
                }
                let file = try AppendFile(path: path, reserveBytes: limits.segmentReserveBytes)
                recovery.segmentBytesDropped = data.count - torn.offset
                recovery.segmentReason = torn.reason
                if torn.offset < Segment.headerBytes {
                    try file.truncate(to: 0)
                    try file.write(Segment.header(firstIndex: tree.size))
                    try file.sync()
                } else {
                    try file.truncate(to: torn.offset)
                }
            }
        }
        if let newest = names.last {
            let file = try AppendFile(path: directory.appendingPathComponent(newest.fileName).path, reserveBytes: limits.segmentReserveBytes)
            // Past a torn tail the file was cut (`dataEnd` is its length); otherwise reserved zeros may follow the data.
            try file.setDataEnd(min(newestDataEnd, file.allocated))
            return OpenedSegments(tree: tree, bySerial: bySerial, file: file, name: newest)
        }
        let first = SegmentName(sequence: 1, day: SegmentName.utcDay(now))
        let file = try createSegment(first, firstIndex: 0, directory: directory, reserveBytes: limits.segmentReserveBytes)
        return OpenedSegments(tree: tree, bySerial: bySerial, file: file, name: first)
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
