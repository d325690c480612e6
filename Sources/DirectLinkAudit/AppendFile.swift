import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One file descriptor opened for appending; closed in deinit. Every write is followed by `sync()` before the
/// caller acknowledges anything.
///
/// With `reserveBytes` > 0 (segments), the file is extended ahead of the data with real zeros, `reserveBytes` at a
/// time, and records are written over them. A write then changes neither the file's size nor its block map, so the
/// `fdatasync` after it flushes data only — no filesystem journal commit, which is most of what an fdatasync of a
/// growing file costs (measured: the log's cost to daemon throughput fell from ~17% to ~7% with the syncs off).
/// `size` is where the data ends; `allocated` is the file's length.
///
/// Segments are also written with `O_DIRECT` where the filesystem allows it (`isDirect`; tmpfs does not, and then
/// the file is written through the page cache as before). A buffered write copies every byte into a page-cache page
/// the log never reads again, and a log only grows, so those are always new pages: on this project's VMs (memory
/// backed lazily by the host and handed back by the balloon's free-page reporting) that copy was the biggest part of
/// the commit thread's CPU. A direct write hands the device one aligned buffer that is reused for every group.
/// Direct writes cover whole 4 KiB blocks: each one rewrites the start of the last, partial block (`tail`) with the
/// bytes it already holds, then the new data, then zeros to the block's end — bytes that were durable before are
/// rewritten with the same values, so a torn write can only damage the new ones.
final class AppendFile {
    let path: String
    private let descriptor: Int32
    private(set) var size: Int
    private(set) var allocated: Int
    let reserveBytes: Int
    /// Whether data goes to the device with O_DIRECT (segments on a filesystem that supports it).
    private(set) var isDirect = false
    private var directDescriptor: Int32 = -1
    /// The bytes of the last, partial block: `size` rounded down to a block, up to `size` (direct writes only).
    private var tail: [UInt8] = []
    private var buffer: UnsafeMutableRawPointer?
    private var bufferBytes = 0

    static let blockBytes = 4096

    /// Linux's O_DIRECT, which Glibc's Swift module leaves out (it is behind _GNU_SOURCE); the value differs by
    /// architecture.
    #if arch(x86_64) || arch(i386)
    private static let openDirect: Int32 = 0o40000
    #elseif arch(arm64) || arch(arm)
    private static let openDirect: Int32 = 0o200000
    #else
    private static let openDirect: Int32 = 0
    #endif

    /// `direct: false` keeps a segment in the page cache (tests of that path; filesystems without O_DIRECT get it
    /// anyway).
    init(path: String, reserveBytes: Int = 0, direct: Bool = true) throws {
        self.path = path
        self.reserveBytes = reserveBytes
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AuditError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            close(fd)
            throw AuditError(.io, "cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        descriptor = fd
        size = Int(status.st_size)
        allocated = size
        if reserveBytes > 0, direct, Self.openDirect != 0 {
            // EINVAL from filesystems without direct I/O (tmpfs): the page cache it is.
            directDescriptor = open(path, O_WRONLY | Self.openDirect | O_CLOEXEC)
            isDirect = directDescriptor >= 0
            if isDirect { try loadTail() }
        }
    }

    deinit {
        close(descriptor)
        if directDescriptor >= 0 { close(directDescriptor) }
        free(buffer)
    }

    /// Sets where the data ends, when a scan found reserved zeros after it.
    func setDataEnd(_ end: Int) throws {
        precondition(end >= 0 && end <= allocated, "the data end lies inside the file")
        size = end
        if isDirect { try loadTail() }
    }

    /// Writes all of `bytes` at the end of the data (retrying short writes and EINTR), first extending the zeroed
    /// reserve when the bytes would not fit in it.
    func write(_ bytes: [UInt8]) throws {
        if isDirect {
            try writeDirect(bytes)
            return
        }
        if reserveBytes > 0, size + bytes.count > allocated {
            let zeros = [UInt8](repeating: 0, count: max(size + bytes.count, allocated + reserveBytes) - allocated)
            try write(zeros, at: allocated)
            allocated += zeros.count
        }
        try write(bytes, at: size)
        size += bytes.count
        allocated = max(allocated, size)
    }

    private func write(_ bytes: [UInt8], at offset: Int) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress.map { $0 + written }, bytes.count - written, off_t(offset + written))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw AuditError(.io, "write to \(path) failed: \(String(cString: strerror(errno)))")
            }
            written += result
        }
    }

    /// One aligned write from the start of the tail's block: tail ‖ bytes ‖ zeros to a block boundary — or, when the
    /// data outgrows the reserve, zeros to the end of a new reserve (the file grows only then).
    private func writeDirect(_ bytes: [UInt8]) throws {
        let start = size - tail.count
        let dataEnd = size + bytes.count
        var end = Self.roundUp(dataEnd)
        if end > allocated { end = Self.roundUp(max(dataEnd, allocated + reserveBytes)) }
        let length = end - start
        let out = try alignedBuffer(length)
        tail.withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        bytes.withUnsafeBytes { if let base = $0.baseAddress { (out + tail.count).copyMemory(from: base, byteCount: $0.count) } }
        memset(out + tail.count + bytes.count, 0, length - tail.count - bytes.count)
        var written = 0
        while written < length {
            let result = pwrite(directDescriptor, out + written, length - written, off_t(start + written))
            if result < 0 {
                if errno == EINTR { continue }
                if errno == EINVAL, written == 0 {
                    // The device wants a larger alignment than a 4 KiB block: nothing was written; use the page cache.
                    useBufferedWrites()
                    try write(bytes)
                    return
                }
                throw AuditError(.io, "write to \(path) failed: \(String(cString: strerror(errno)))")
            }
            // A direct write stops only at block boundaries; anything else leaves the next write unaligned.
            guard result > 0, result % Self.blockBytes == 0 else {
                throw AuditError(.io, "short direct write to \(path): \(result) of \(length - written) bytes")
            }
            written += result
        }
        size = dataEnd
        allocated = max(allocated, end)
        let newTailStart = dataEnd & ~(Self.blockBytes - 1)
        tail = Array(UnsafeRawBufferPointer(start: out + (newTailStart - start), count: dataEnd - newTailStart))
    }

    private func useBufferedWrites() {
        isDirect = false
        close(directDescriptor)
        directDescriptor = -1
        tail = []
    }

    /// The reusable block-aligned buffer, at least `length` bytes.
    private func alignedBuffer(_ length: Int) throws -> UnsafeMutableRawPointer {
        if let buffer, bufferBytes >= length { return buffer }
        let capacity = Self.roundUp(max(length, 2 * bufferBytes, 64 << 10))
        free(buffer)
        buffer = nil
        bufferBytes = 0
        var allocatedBuffer: UnsafeMutableRawPointer?
        guard posix_memalign(&allocatedBuffer, Self.blockBytes, capacity) == 0, let allocatedBuffer else {
            throw AuditError(.io, "cannot allocate a \(capacity)-byte write buffer")
        }
        buffer = allocatedBuffer
        bufferBytes = capacity
        return allocatedBuffer
    }

    /// Reads the partial last block's data back from the file (after opening, a scan or a truncation).
    private func loadTail() throws {
        let start = size & ~(Self.blockBytes - 1)
        var bytes = [UInt8](repeating: 0, count: size - start)
        var read = 0
        while read < bytes.count {
            let result = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + read, $0.count - read, off_t(start + read)) }
            if result < 0, errno == EINTR { continue }
            guard result > 0 else { throw AuditError(.io, "cannot read the end of \(path): \(String(cString: strerror(errno)))") }
            read += result
        }
        tail = bytes
    }

    private static func roundUp(_ offset: Int) -> Int { (offset + blockBytes - 1) & ~(blockBytes - 1) }

    /// Makes everything written so far durable (data, and the file size when the reserve grew).
    func sync() throws {
        guard fdatasync(descriptor) == 0 else { throw AuditError(.io, "fdatasync \(path) failed: \(String(cString: strerror(errno)))") }
    }

    /// Cuts the reserved zeros off (a sealed segment ends with its last record).
    func trimReserve() throws {
        if allocated > size { try truncate(to: size) }
    }

    /// Cuts the file back to `length` bytes and makes that durable (torn-tail recovery).
    func truncate(to length: Int) throws {
        guard ftruncate(descriptor, off_t(length)) == 0, fsync(descriptor) == 0 else {
            throw AuditError(.io, "cannot truncate \(path): \(String(cString: strerror(errno)))")
        }
        size = length
        allocated = length
        if isDirect { try loadTail() }
    }

    /// Makes a new directory entry durable.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw AuditError(.io, "cannot open directory \(path)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw AuditError(.io, "fsync of directory \(path) failed") }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw AuditError(.io, "cannot read \(path)") }
        return [UInt8](data)
    }
}
