import Foundation
import GRDB
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

/// A blob whose SHA-256 matched its name, with its file's identity and times then (`verified_blobs`).
struct VerifiedBlobRecord: Equatable, IndexRecord {
    static let databaseTableName = "verified_blobs"

    var digest: Digest
    var device: Int64
    var inode: Int64
    var size: Int64
    var mtimeNs: Int64
    var ctimeNs: Int64

    /// The record for the file at `path` as it is now; nil when it is not a regular file.
    init?(digest: Digest, path: String) {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        self.digest = digest
        device = Int64(bitPattern: UInt64(status.st_dev))
        inode = Int64(bitPattern: UInt64(status.st_ino))
        size = Int64(status.st_size)
        mtimeNs = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        ctimeNs = Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec)
    }

    /// The table's columns.
    enum Columns {
        static let digest = Column("digest")
        static let device = Column("device")
        static let inode = Column("inode")
        static let size = Column("size")
        static let mtimeNs = Column("mtime_ns")
        static let ctimeNs = Column("ctime_ns")
    }
}
