import CArchive
import Foundation
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

/// The file-type bits of a tar entry's mode (POSIX `S_IF*`).
public enum TarFileType {
    public static let regular: UInt32 = 0o100000
    public static let directory: UInt32 = 0o040000
    public static let symlink: UInt32 = 0o120000
    public static let characterDevice: UInt32 = 0o020000
    public static let blockDevice: UInt32 = 0o060000
    public static let fifo: UInt32 = 0o010000
    public static let socket: UInt32 = 0o140000

    /// Readable name of a file type, for messages ("symbolic link").
    public static func name(_ fileType: UInt32) -> String {
        switch fileType {
        case regular: return "regular file"
        case directory: return "directory"
        case symlink: return "symbolic link"
        case characterDevice: return "character device"
        case blockDevice: return "block device"
        case fifo: return "FIFO"
        case socket: return "socket"
        default: return "entry of type 0o\(String(fileType, radix: 8))"
        }
    }
}

/// One tar entry's header, as libarchive decoded it.
public struct TarEntryHeader: Sendable {
    /// Path inside the archive.
    public var path: String
    /// File type bits (`TarFileType`).
    public var fileType: UInt32
    /// Data bytes the header declares.
    public var size: Int
    /// Target of a symbolic link, if the entry is one.
    public var symlinkTarget: String?
    /// Target of a hard link, if the entry is one.
    public var hardLinkTarget: String?

    /// Readable name of a non-file type, for messages.
    public var typeName: String { TarFileType.name(fileType) }
}

/// Reads a tar archive (plain, gzip or zstd) entry by entry through libarchive.
///
/// ```swift
/// let tar = try TarReader(path: "aux-b.lgz")
/// while let header = try tar.next() { try tar.readData { chunk in … } }
/// ```
public final class TarReader {
    private let archive: OpaquePointer
    private let file: RegularFile
    private let path: String
    private let source: MappedArchiveSource?

    /// Opens `path`, which must be a regular file (a FIFO, device or folder is refused before anything
    /// blocks on it); the compression is detected from the bytes. `label` names the archive in errors.
    /// - Throws: `FileSystemError` of kind `.refused`; `ArchiveError.unreadable` when the file cannot
    ///   be opened or decoded.
    public init(path: String, label: String? = nil) throws {
        let name = label ?? path
        do { file = try RegularFile(path: path) } catch let error as FileSystemError where error.kind == .io {
            throw ArchiveError.unreadable(path: name, reason: error.reason)
        }
        guard let archive = archive_read_new() else {
            throw ArchiveError.unreadable(path: name, reason: "libarchive could not allocate a reader")
        }
        self.archive = archive
        self.path = name
        archive_read_support_format_tar(archive)
        archive_read_support_filter_zstd(archive)
        archive_read_support_filter_gzip(archive)
        source = MappedArchiveSource(file, releaseBehind: true)
        let opened = source?.open(archive) ?? archive_read_open_fd(archive, file.descriptor, 1 << 20)
        guard opened == ARCHIVE_OK else {
            throw ArchiveError.unreadable(path: path, reason: errorString)  // deinit frees the reader
        }
    }

    deinit { archive_read_free(archive) }

    private var errorString: String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    /// The next entry's header, or nil at the end of the archive.
    public func next() throws -> TarEntryHeader? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status >= ARCHIVE_WARN, let entry else { throw ArchiveError.unreadable(path: path, reason: errorString) }
        let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        return TarEntryHeader(
            path: name, fileType: UInt32(archive_entry_filetype(entry)), size: Int(archive_entry_size(entry)),
            symlinkTarget: archive_entry_symlink(entry).map { String(cString: $0) },
            hardLinkTarget: archive_entry_hardlink(entry).map { String(cString: $0) })
    }

    /// Streams the current entry's data to `body`, in the blocks libarchive decompresses (no copy); a block is
    /// valid only during the call. Returns the bytes read.
    /// - Throws: `ArchiveError.unreadable` for corrupt data or a sparse entry (holes are refused, not filled).
    @discardableResult
    public func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var total = 0
        while true {
            var block: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            let status = archive_read_data_block(archive, &block, &size, &offset)
            if status == ARCHIVE_EOF { return total }
            guard status >= ARCHIVE_WARN else { throw ArchiveError.unreadable(path: path, reason: errorString) }
            guard offset == total else {
                throw ArchiveError.unreadable(path: path, reason: "sparse entry (a hole at byte \(total))")
            }
            if size > 0, let block { try body(UnsafeRawBufferPointer(start: block, count: size)) }
            total += size
        }
    }
}

/// A regular file mapped read-only and handed to a libarchive reader 1 MiB at a time straight from the mapping, with
/// no copy through a read buffer; seekable, for libarchive's zip reader. With `releaseBehind` (a tar read start to
/// end), each block's pages are let go (`MADV_DONTNEED`: they stay in the page cache) when libarchive asks for the
/// next, which its read-callback contract allows, so the resident set stays at a block or two however large the
/// archive. Must outlive the reader it is opened on.
public final class MappedArchiveSource {
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let releaseBehind: Bool
    private var offset = 0
    private var previous: Range<Int>?

    /// Maps `file`; nil for an empty file or one that cannot be mapped (read it with `read(2)` then).
    public init?(_ file: RegularFile, releaseBehind: Bool) {
        guard file.size > 0, let base = mmap(nil, file.size, PROT_READ, MAP_PRIVATE, file.descriptor, 0),
            base != MAP_FAILED
        else { return nil }
        if releaseBehind { madvise(base, file.size, MADV_SEQUENTIAL) }
        self.base = base
        self.size = file.size
        self.releaseBehind = releaseBehind
    }

    deinit { munmap(base, size) }

    /// Opens `archive` (formats and filters chosen) on this source: `archive_read_open1`'s status.
    public func open(_ archive: OpaquePointer) -> Int32 {
        archive_read_set_callback_data(archive, Unmanaged.passUnretained(self).toOpaque())
        archive_read_set_read_callback(archive) { _, client, buffer in MappedArchiveSource.next(client, buffer) }
        archive_read_set_seek_callback(archive) { _, client, offset, whence in
            MappedArchiveSource.seek(client, offset, whence)
        }
        return archive_read_open1(archive)
    }

    /// libarchive's read callback: the next block, its pointer in `buffer`; 0 at the end.
    private static func next(
        _ client: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UnsafeRawPointer?>?
    ) -> Int {
        let source = Unmanaged<MappedArchiveSource>.fromOpaque(client!).takeUnretainedValue()
        if source.releaseBehind, let previous = source.previous {
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let start = previous.lowerBound / page * page
            let end = min(previous.upperBound, source.offset / page * page)
            if end > start { madvise(source.base + start, end - start, MADV_DONTNEED) }
        }
        let count = max(0, min(1 << 20, source.size - source.offset))
        buffer?.pointee = UnsafeRawPointer(source.base + min(source.offset, source.size))
        source.previous = source.offset..<(source.offset + count)
        source.offset += count
        return count
    }

    /// libarchive's seek callback: the new offset, or `ARCHIVE_FATAL` for one outside the file.
    private static func seek(_ client: UnsafeMutableRawPointer?, _ offset: Int64, _ whence: Int32) -> Int64 {
        let source = Unmanaged<MappedArchiveSource>.fromOpaque(client!).takeUnretainedValue()
        let origin = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? source.offset : source.size
        let target = origin + Int(offset)
        guard target >= 0, target <= source.size else { return Int64(ARCHIVE_FATAL) }
        source.offset = target
        return Int64(target)
    }
}

/// Writes a pax tar archive compressed with zstd through an `AtomicFileWriter`, committed on `finish()`.
///
/// Entries carry mode 0644, owner 0 and time 0, so the same files give the same archive bytes.
public final class TarWriter {
    private let archive: OpaquePointer
    private let destination: URL
    private let file: AtomicFileWriter
    private var open = true

    /// Starts writing to a temporary file beside `url`.
    /// - Throws: `FileSystemError` when `url` exists and is not a regular file, or the folder is not writable.
    public init(url: URL) throws {
        file = try AtomicFileWriter(replacing: url)
        guard let archive = archive_write_new() else {
            throw ArchiveError.io(path: url.path, reason: "libarchive could not allocate a writer")
        }
        self.archive = archive
        self.destination = url
        archive_write_set_format_pax_restricted(archive)
        archive_write_add_filter_zstd(archive)
        // Fast mode: trained float weights barely compress (about 8%), and at level -1 zstd stores them in raw
        // blocks that decode ten times faster, which is what lets publish keep up with a plain copy.
        archive_write_set_filter_option(archive, "zstd", "compression-level", "-1")
        archive_write_set_bytes_in_last_block(archive, 1)
        guard archive_write_open_fd(archive, file.fileDescriptor) == ARCHIVE_OK else {
            throw ArchiveError.io(path: url.path, reason: "cannot create: \(errorString)")  // deinit frees the writer
        }
    }

    deinit { if open { archive_write_free(archive) } }

    private var errorString: String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    /// Adds a regular file whose `size` bytes `produce` hands over in chunks.
    public func addFile(_ name: String, size: Int, produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void)
        throws
    {
        let entry = archive_entry_new()
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, name)
        archive_entry_set_size(entry, Int64(size))
        archive_entry_set_filetype(entry, TarFileType.regular)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_mtime(entry, 0, 0)
        guard archive_write_header(archive, entry) == ARCHIVE_OK else {
            throw ArchiveError.io(path: destination.path, reason: "cannot write entry '\(name)': \(errorString)")
        }
        var written = 0
        try produce { chunk in
            var offset = 0
            while offset < chunk.count {
                let n = archive_write_data(archive, chunk.baseAddress! + offset, chunk.count - offset)
                guard n > 0 else {
                    throw ArchiveError.io(
                        path: self.destination.path, reason: "cannot write entry '\(name)': \(self.errorString)")
                }
                offset += n
            }
            written += chunk.count
            self.file.wroteThroughDescriptor()
        }
        guard written == size else {
            throw ArchiveError.io(
                path: destination.path, reason: "entry '\(name)' was given \(written) bytes, not the \(size) announced")
        }
    }

    /// Adds a regular file holding `data`.
    public func addFile(_ name: String, data: Data) throws {
        try addFile(name, size: data.count) { write in try data.withUnsafeBytes { try write($0) } }
    }

    /// Closes the archive and commits it: fsynced, renamed into place, its folder fsynced.
    public func finish() throws {
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw ArchiveError.io(path: destination.path, reason: "cannot finish the archive: \(errorString)")
        }
        archive_write_free(archive)
        open = false
        try file.commit()
    }
}
