import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file written by appending chunks, fsynced and closed by `finish()`; created exclusively (never
/// overwrites), removed if dropped unfinished.
///
/// Write-behind: every `writeBehindWindow` bytes appended are handed to the disk at once
/// (`sync_file_range(WRITE)`, which starts the write-back and does not wait for it), so writing overlaps the
/// disk and the final fsync, which still makes the file durable, finds little left to write. (Waiting for the
/// window before each one as well, to bound dirty pages, was tried: it leaves one or two 8 MiB requests in
/// flight, and on the busy build machine a 431 MB export then took 5–9 s against 1.3 s for `cp` + `sync`.)
public final class DurableFileWriter {
    /// Where the bytes go.
    public let url: URL
    /// The open file (for a C library that writes to a descriptor, such as libarchive); valid until `finish()`.
    public let fileDescriptor: Int32
    private var done = false
    /// Bytes appended, and the start of the first window not yet handed to the disk.
    private var appended = 0, handedOver = 0

    /// Bytes per write-behind window.
    public static let writeBehindWindow = 8 << 20

    /// Creates `url`, which must not exist.
    public init(url: URL) throws {
        self.url = url
        fileDescriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fileDescriptor >= 0 else { throw FileSystemError(path: url.path, operation: "create") }
    }

    deinit {
        if !done {
            close(fileDescriptor)
            unlink(url.path)
        }
    }

    /// Appends `chunk`.
    public func write(_ chunk: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < chunk.count {
            let n = Glibc.write(fileDescriptor, chunk.baseAddress! + offset, chunk.count - offset)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw FileSystemError(path: url.path, operation: "write") }
            offset += n
        }
        appended += chunk.count
        handOverFullWindows()
    }

    /// Counts what a C library wrote through `fileDescriptor` (up to its current offset) as appended, and starts
    /// writing back the full windows, as `write` does for its own bytes.
    public func wroteThroughDescriptor() {
        appended = max(appended, Int(lseek(fileDescriptor, 0, SEEK_CUR)))
        handOverFullWindows()
    }

    /// Starts writing back the full windows not yet handed over. Advice only: a failure here shows up again in
    /// `finish()`'s fsync, which is what reports it.
    private func handOverFullWindows() {
        guard let syncFileRange = Self.syncFileRange else { return }
        let full = (appended - handedOver) / Self.writeBehindWindow * Self.writeBehindWindow
        guard full > 0 else { return }
        _ = syncFileRange(fileDescriptor, Int64(handedOver), Int64(full), Self.startWriting)
        handedOver += full
    }

    /// `SYNC_FILE_RANGE_WRITE` from `<fcntl.h>`.
    private static let startWriting: UInt32 = 2

    /// glibc's `sync_file_range`, looked up at run time: the Swift Glibc module does not declare it.
    private static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
    }()

    /// fsyncs and closes the file; with `sync` false only closes it, and the caller must `BackgroundSync` it
    /// before relying on it.
    public func finish(sync: Bool = true) throws {
        if sync, fsync(fileDescriptor) != 0 { throw FileSystemError(path: url.path, operation: "fsync") }
        done = true
        guard close(fileDescriptor) == 0 else { throw FileSystemError(path: url.path, operation: "close") }
    }
}

/// Replaces a file so that a reader, or a power cut, sees the old bytes or the new ones and never a mix:
/// the bytes go to a temporary file beside the target (or in `temporaryDirectory`, on the same filesystem),
/// which is fsynced, renamed over the target, and the target's folder fsynced. This is lgreg's one way to
/// write a file in place and its one fsync policy.
///
/// Only a regular file is ever replaced: a target that is a device, FIFO, socket, folder or symbolic link is
/// refused before a byte is written and again just before the rename (`lgreg export -o /dev/full` must not
/// turn a device node into a file).
///
/// ```swift
/// try AtomicFileWriter.write(data, to: url)
/// let writer = try AtomicFileWriter(replacing: url)     // streamed
/// try writer.write(chunk); try writer.commit()          // dropped uncommitted: the temporary is removed
/// ```
public final class AtomicFileWriter {
    /// The file being replaced.
    public let destination: URL
    private let file: DurableFileWriter
    private var committed = false

    /// Starts writing a temporary file (named by `TemporaryName`) for `destination`. Without a
    /// `temporaryDirectory` the temporary goes beside the destination, and the temporaries a killed lgreg
    /// left there are removed first.
    /// - Throws: `FileSystemError` when the target exists and is not a regular file, or the temporary file
    ///   cannot be created.
    public init(replacing destination: URL, temporaryDirectory: URL? = nil) throws {
        try Self.checkReplaceable(destination)
        self.destination = destination
        if temporaryDirectory == nil { TemporaryName.removeAbandoned(in: destination.deletingLastPathComponent()) }
        let folder = temporaryDirectory ?? destination.deletingLastPathComponent()
        file = try DurableFileWriter(
            url: folder.appendingPathComponent(TemporaryName.make(for: destination.lastPathComponent)))
    }

    deinit { if !committed { unlink(file.url.path) } }

    /// The temporary file's descriptor, for a C library that writes to one; valid until `commit()`.
    public var fileDescriptor: Int32 { file.fileDescriptor }

    /// Appends `chunk` to the temporary file.
    public func write(_ chunk: UnsafeRawBufferPointer) throws { try file.write(chunk) }

    /// After a C library wrote through `fileDescriptor`: starts the write-back of what it wrote
    /// (`DurableFileWriter.wroteThroughDescriptor`).
    public func wroteThroughDescriptor() { file.wroteThroughDescriptor() }

    /// fsyncs the temporary file, renames it over the destination and fsyncs the destination's folder.
    public func commit() throws {
        try file.finish(sync: true)
        try Self.checkReplaceable(destination)
        guard rename(file.url.path, destination.path) == 0 else {
            throw FileSystemError(path: destination.path, operation: "rename into place")
        }
        committed = true
        try Self.syncDirectory(destination.deletingLastPathComponent())
    }

    /// Writes `data` to `url` atomically and durably.
    public static func write(_ data: Data, to url: URL, temporaryDirectory: URL? = nil) throws {
        let writer = try AtomicFileWriter(replacing: url, temporaryDirectory: temporaryDirectory)
        try data.withUnsafeBytes { try writer.write($0) }
        try writer.commit()
    }

    /// Refuses a target that exists and is not a regular file.
    /// - Throws: `FileSystemError` naming what the target is.
    public static func checkReplaceable(_ url: URL) throws {
        var status = stat()
        guard lstat(url.path, &status) == 0 else {
            if errno == ENOENT { return }
            throw FileSystemError(path: url.path, operation: "inspect")
        }
        let type = status.st_mode & S_IFMT
        guard type == S_IFREG else {
            throw FileSystemError(
                path: url.path, reason: "is \(RegularFile.typeName(type)), not a regular file; refusing to replace it",
                kind: .refused)
        }
    }

    /// fsyncs a folder so a rename in it survives a power cut. Filesystems that cannot sync a folder
    /// (EINVAL) are accepted.
    public static func syncDirectory(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: url.path, operation: "open the folder to fsync it") }
        defer { close(fd) }
        if fsync(fd) != 0, errno != EINVAL { throw FileSystemError(path: url.path, operation: "fsync the folder") }
    }
}

/// Names of the hidden temporaries lgreg writes beside a user's files (`.model.safetensors.lgreg-tmp-4242-1f3a…`):
/// recognisable, and carrying the writer's process id, so a later run removes those a killed process left
/// behind and never one a live process is still writing.
public enum TemporaryName {
    /// The marker between the target's name and the process id.
    static let marker = ".lgreg-tmp-"

    /// A fresh temporary name for a file or folder called `name`, owned by this process.
    public static func make(for name: String) -> String {
        ".\(name)\(marker)\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// The process id a temporary name carries, or nil for a name that is not one of lgreg's temporaries.
    public static func owner(of name: String) -> pid_t? {
        guard name.hasPrefix("."), let range = name.range(of: marker, options: .backwards) else { return nil }
        let rest = name[range.upperBound...]
        guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]), pid > 0 else { return nil }
        return pid
    }

    /// Removes (recursively) every lgreg temporary in `directory` whose process is gone; returns their names.
    /// Anything else, and a temporary of a live process, is left alone.
    @discardableResult
    public static func removeAbandoned(in directory: URL) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        var removed: [String] = []
        for name in names {
            guard let pid = owner(of: name), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            if (try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))) != nil {
                removed.append(name)
            }
        }
        return removed
    }
}
