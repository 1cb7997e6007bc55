import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A regular file opened for reading, refused before anything can block on it when it is a FIFO, a device,
/// a socket or a folder (`lgreg publish some-fifo` would otherwise wait forever for a writer).
///
/// The file is opened non-blocking, checked with `fstat` on the open descriptor (so it cannot be swapped
/// between the check and the read), then switched back to blocking reads.
///
/// ```swift
/// let data = try RegularFile.contents(of: url, limit: 1 << 20)
/// ```
public final class RegularFile {
    /// The open descriptor, closed when the value is dropped.
    public let descriptor: Int32
    /// The file's size when it was opened.
    public let size: Int

    /// Opens `path` for reading.
    /// - Throws: `FileSystemError` of kind `.refused`, or `.io` when it cannot be opened.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open") }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let error = FileSystemError(path: path, operation: "stat")
            close(fd)
            throw error
        }
        let type = status.st_mode & S_IFMT
        guard type == S_IFREG else {
            close(fd)
            throw FileSystemError(path: path, reason: "is \(Self.typeName(type)), not a regular file", kind: .refused)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        descriptor = fd
        size = Int(status.st_size)
    }

    deinit { close(descriptor) }

    /// The whole file, which must be a regular file of at most `limit` bytes.
    /// - Throws: `FileSystemError` for a special file, a file past `limit` (kind `.io`, reason says so), or a
    ///   failed read.
    public static func contents(of url: URL, limit: Int) throws -> Data {
        let file = try RegularFile(path: url.path)
        guard file.size <= limit else {
            throw FileSystemError(path: url.path, reason: "is \(file.size) bytes; at most \(limit) are read")
        }
        var data = Data(count: file.size)
        var done = 0
        while done < file.size {
            let n = data.withUnsafeMutableBytes { read(file.descriptor, $0.baseAddress! + done, file.size - done) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw FileSystemError(path: url.path, operation: "read") }
            if n == 0 { break }
            done += n
        }
        return data.prefix(done)
    }

    /// `a character device`, `a folder`, … for the `S_IFMT` bits of a mode.
    public static func typeName(_ type: mode_t) -> String {
        switch type {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a folder"
        case S_IFLNK: return "a symbolic link"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }
}
