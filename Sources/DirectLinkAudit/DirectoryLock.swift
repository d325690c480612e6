import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive flock on `<log>/LOCK`, held for the life of an `AuditLog`: two writers on one log would
/// interleave segments. Readers (verify, export, prove) do not take it. Released when the descriptor closes.
final class DirectoryLock {
    private let descriptor: Int32

    init(directory: URL) throws {
        let path = directory.appendingPathComponent("LOCK").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AuditError(.io, "cannot open \(path)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw AuditError(.io, "another process holds the audit log in \(directory.path)")
        }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
