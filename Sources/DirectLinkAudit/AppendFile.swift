import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One file descriptor opened for appending; closed in deinit. Every write is followed by `sync()` before the
/// caller acknowledges anything.
final class AppendFile {
    let path: String
    private let descriptor: Int32
    private(set) var size: Int

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AuditError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            close(fd)
            throw AuditError(.io, "cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        descriptor = fd
        size = Int(status.st_size)
    }

    deinit { close(descriptor) }

    /// Writes all of `bytes` (retrying short writes and EINTR).
    func write(_ bytes: [UInt8]) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress.map { $0 + written }, bytes.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw AuditError(.io, "write to \(path) failed: \(String(cString: strerror(errno)))")
            }
            written += result
        }
        size += bytes.count
    }

    /// Makes everything written so far durable (data and the file size).
    func sync() throws {
        guard fdatasync(descriptor) == 0 else { throw AuditError(.io, "fdatasync \(path) failed: \(String(cString: strerror(errno)))") }
    }

    /// Cuts the file back to `length` bytes and makes that durable (torn-tail recovery).
    func truncate(to length: Int) throws {
        guard ftruncate(descriptor, off_t(length)) == 0, fsync(descriptor) == 0 else {
            throw AuditError(.io, "cannot truncate \(path): \(String(cString: strerror(errno)))")
        }
        size = length
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
