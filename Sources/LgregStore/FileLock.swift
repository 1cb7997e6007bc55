import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An advisory `flock` on a file of the store, released when the value is dropped.
///
/// Locks are one line of defence: gc also spares blobs younger than a grace period, so a filesystem where
/// `flock` does nothing (some network mounts) still keeps in-flight blobs.
public final class FileLock {
    private let fd: Int32

    /// Blocks until the lock is held: shared (publish, tag, write) or exclusive (gc, index.json rewrite).
    public init(_ url: URL, exclusive: Bool) throws {
        fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError.io(path: url.path, reason: "cannot open lock: \(String(cString: strerror(errno)))")
        }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else {
                close(fd)
                throw StoreError.io(path: url.path, reason: "cannot lock: \(String(cString: strerror(errno)))")
            }
        }
    }

    deinit { close(fd) }
}
