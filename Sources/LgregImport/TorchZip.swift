import CArchive
import Foundation
import LgregArchive
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

/// Bounds the checkpoint reader puts on a file before it reads a byte of an entry's data.
public struct ImportLimits: Sendable {
    /// Largest `data.pkl` accepted (a state dict of thousands of tensors pickles to well under 1 MiB).
    public var pickleBytes: Int
    /// Most values on the unpickler's stack at once.
    public var stackDepth: Int
    /// Most memo entries.
    public var memoEntries: Int
    /// Deepest nesting of lists, tuples and dicts.
    public var nesting: Int

    /// 64 MiB pickles, 100,000 stack values, 1,000,000 memo entries, nesting 100 deep.
    public init(
        pickleBytes: Int = 64 << 20, stackDepth: Int = 100_000, memoEntries: Int = 1_000_000, nesting: Int = 100
    ) {
        self.pickleBytes = pickleBytes
        self.stackDepth = stackDepth
        self.memoEntries = memoEntries
        self.nesting = nesting
    }
}

/// The entries of a `torch.save` zip file (PyTorch 1.6 and later): `<folder>/data.pkl`, `<folder>/data/<key>`
/// (one per storage), `<folder>/byteorder`, `<folder>/version`, read through libarchive's seekable zip reader
/// (it trusts the central directory, so a truncated file is refused before any entry is read).
///
/// Every entry is checked before its data is read: a safe name under the one top folder, no duplicates, a
/// declared size that keeps the sum of all entries within the file's size (torch stores entries uncompressed)
/// and `data.pkl` within `ImportLimits.pickleBytes`. Storages are not copied: the file is memory-mapped and a
/// stored (uncompressed) storage entry is a view of its bytes at the offset the zip's own directory gives
/// (`StoredEntries`); an entry stored any other way is read into memory through libarchive. Like `torch.load`,
/// which PyTorch builds with miniz's CRC-32 checks off, a mapped entry's CRC-32 is not checked (the checkpoint's
/// SHA-256 is recorded in the provenance instead).
struct TorchZip {
    /// The top folder every entry lives in (`archive`, or the name the file was saved under).
    var folder: String
    /// `data.pkl`.
    var pickle: [UInt8]
    /// Storage bytes by key (`data/<key>`), valid while `memory` lives.
    var storages: [String: UnsafeRawBufferPointer]
    /// The mapping and the buffers `storages` point into.
    var memory: StorageMemory

    /// Reads and checks the zip at `path`; `label` names it in errors.
    static func read(path: String, label: String, limits: ImportLimits) throws -> TorchZip {
        let file = try RegularFile(path: path)
        let memory = try StorageMemory(file: file, label: label)
        let stored = StoredEntries(memory.mapping)
        guard let archive = archive_read_new() else {
            throw ImportError.unreadableZip(path: label, reason: "libarchive could not allocate a reader")
        }
        defer { archive_read_free(archive) }
        archive_read_support_format_zip_seekable(archive)
        func failure() -> ImportError {
            .unreadableZip(
                path: label,
                reason: archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error")
        }
        // Headers are read from a mapping too (libarchive's own reads would copy 1 MiB at every entry).
        let source = MappedArchiveSource(file, releaseBehind: false)
        defer { withExtendedLifetime(source) {} }  // libarchive reads through it until the loop ends
        let opened = source?.open(archive) ?? archive_read_open_fd(archive, file.descriptor, 1 << 20)
        guard opened == ARCHIVE_OK else { throw failure() }

        var folder: String?
        var seen = Set<String>()
        var pickle: [UInt8]?
        var byteOrder: [UInt8]?
        var storages: [String: UnsafeRawBufferPointer] = [:]
        var total = 0
        while true {
            var entry: OpaquePointer?
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN, let entry else { throw failure() }
            let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            let parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard !name.hasPrefix("/"), parts.count >= 2,
                !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
                folder == nil || folder == parts[0]
            else {
                throw ImportError.unsafeEntry(path: label, entry: name)
            }
            folder = parts[0]
            guard seen.insert(name).inserted else { throw ImportError.duplicateEntry(path: label, entry: name) }
            let fileType = UInt32(archive_entry_filetype(entry))
            guard fileType == TarFileType.regular else {
                throw ImportError.notARegularFile(path: label, entry: name, type: TarFileType.name(fileType))
            }
            let size = Int(archive_entry_size(entry))
            let relative = parts.dropFirst().joined(separator: "/")
            // torch stores entries uncompressed, so together they never exceed the file: a compressed bomb cannot pass.
            let limit = relative == "data.pkl" ? min(limits.pickleBytes, file.size - total) : file.size - total
            guard size >= 0, size <= limit else {
                throw ImportError.entryTooLarge(path: label, entry: name, size: size, limit: limit)
            }
            total += size
            switch relative {
            case "data.pkl": pickle = try readEntry(archive, size: size, name: name, label: label, failure: failure)
            case "byteorder":
                byteOrder = try readEntry(archive, size: min(size, 16), name: name, label: label, failure: failure)
            default:
                guard parts.count == 3, parts[1] == "data" else { break }
                if let range = stored.range(of: name, size: size) {
                    storages[parts[2]] = UnsafeRawBufferPointer(rebasing: memory.mapping[range])
                } else {
                    let bytes = try readEntry(archive, size: size, name: name, label: label, failure: failure)
                    storages[parts[2]] = memory.keep(bytes)
                }
            }
        }
        guard let folder, let pickle else {
            throw ImportError.missingEntry(path: label, entry: (folder ?? "archive") + "/data.pkl")
        }
        if let byteOrder, byteOrder != Array("little".utf8) {
            throw ImportError.unsupportedByteOrder(path: label, found: String(decoding: byteOrder, as: UTF8.self))
        }
        return TorchZip(folder: folder, pickle: pickle, storages: storages, memory: memory)
    }
    /// Reads exactly `size` bytes of the current entry (fewer when the entry declares `size` as a cap).
    private static func readEntry(
        _ archive: OpaquePointer, size: Int, name: String, label: String,
        failure: () -> ImportError
    ) throws -> [UInt8] {
        var filled = 0
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            while filled < size {
                let n = archive_read_data(archive, buffer.baseAddress! + filled, size - filled)
                if n == 0 { break }
                guard n > 0 else {
                    failed = true
                    break
                }
                filled += n
            }
            initialized = filled
        }
        if failed { throw failure() }
        guard filled == size else {
            throw ImportError.unreadableZip(
                path: label, reason: "entry '\(Quoted.name(name))' ends after \(filled) of its \(size) bytes")
        }
        return bytes
    }
}

/// Owns the checkpoint's read-only mapping and the buffers of storages that could not be mapped; both are released
/// when the last `Checkpoint` using them goes.
final class StorageMemory: @unchecked Sendable {
    /// The whole file, mapped read-only (empty for an empty file).
    let mapping: UnsafeRawBufferPointer
    private var buffers: [UnsafeMutableRawBufferPointer] = []

    init(file: RegularFile, label: String) throws {
        guard file.size > 0 else {
            mapping = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, file.size, PROT_READ, MAP_PRIVATE, file.descriptor, 0), base != MAP_FAILED else {
            throw ImportError.unreadableZip(path: label, reason: "cannot map: \(String(cString: strerror(errno)))")
        }
        mapping = UnsafeRawBufferPointer(start: base, count: file.size)
    }

    deinit {
        if let base = mapping.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), mapping.count) }
        for buffer in buffers { buffer.deallocate() }
    }

    /// Keeps a copy of `bytes` for as long as this lives.
    func keep(_ bytes: [UInt8]) -> UnsafeRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        buffers.append(buffer)
        return UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count])
    }

    /// Lets the kernel drop the mapped pages of `bytes` from this process (they stay in the page cache and are
    /// mapped again on the next touch), so reading a checkpoint tensor by tensor keeps the resident set at about
    /// one tensor rather than the whole file.
    func release(_ bytes: UnsafeRawBufferPointer) {
        guard let base = mapping.baseAddress, let start = bytes.baseAddress, start >= base,
            start + bytes.count <= base + mapping.count
        else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start) + bytes.count) / page * page
        guard end > first else { return }
        madvise(UnsafeMutableRawPointer(bitPattern: first), end - first, MADV_DONTNEED)
    }
}

/// Where each stored (uncompressed) entry's data lies in a zip file, from its central directory (ZIP64 included)
/// and local headers. Anything unexpected leaves the entry out, and it is read through libarchive instead: this
/// only finds offsets, libarchive still decides what is a valid zip.
struct StoredEntries {
    private var ranges: [String: Range<Int>] = [:]

    init(_ file: UnsafeRawBufferPointer) {
        func u16(_ at: Int) -> Int? {
            at >= 0 && at + 2 <= file.count
                ? Int(UInt16(littleEndian: file.loadUnaligned(fromByteOffset: at, as: UInt16.self))) : nil
        }
        func u32(_ at: Int) -> Int? {
            at >= 0 && at + 4 <= file.count
                ? Int(UInt32(littleEndian: file.loadUnaligned(fromByteOffset: at, as: UInt32.self))) : nil
        }
        func u64(_ at: Int) -> Int? {
            guard at >= 0, at + 8 <= file.count else { return nil }
            let value = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            return value <= UInt64(Int.max) ? Int(value) : nil
        }
        // End of central directory: signature PK\5\6, within the last 22 + 65,535 bytes.
        var end = file.count - 22
        while end >= max(0, file.count - 22 - 0xFFFF), u32(end) != 0x0605_4B50 { end -= 1 }
        guard end >= 0, var count = u16(end + 10), var offset = u32(end + 16) else { return }
        if count == 0xFFFF || offset == 0xFFFF_FFFF {
            // ZIP64: the locator (PK\6\7) just before points at the ZIP64 end record (PK\6\6).
            guard u32(end - 20) == 0x0706_4B50, let record = u64(end - 12), u32(record) == 0x0606_4B50,
                let count64 = u64(record + 32), let offset64 = u64(record + 48)
            else { return }
            count = count64
            offset = offset64
        }
        var at = offset
        for _ in 0..<min(count, file.count / 46) {
            guard u32(at) == 0x0201_4B50, let method = u16(at + 10), var compressed = u32(at + 20),
                var size = u32(at + 24), let nameLength = u16(at + 28), let extraLength = u16(at + 30),
                let commentLength = u16(at + 32), var local = u32(at + 42),
                at + 46 + nameLength + extraLength <= file.count
            else { return }
            let name = String(
                decoding: UnsafeRawBufferPointer(rebasing: file[(at + 46)..<(at + 46 + nameLength)]), as: UTF8.self)
            // ZIP64 extended information (0x0001) holds, in order, whichever of the three fields are 0xFFFFFFFF.
            var extra = at + 46 + nameLength
            while extra + 4 <= at + 46 + nameLength + extraLength, let id = u16(extra), let length = u16(extra + 2) {
                if id == 0x0001 {
                    var field = extra + 4
                    func widen(_ value: inout Int) -> Bool {
                        guard value == 0xFFFF_FFFF else { return true }
                        guard field + 8 <= extra + 4 + length, let wide = u64(field) else { return false }
                        value = wide
                        field += 8
                        return true
                    }
                    guard widen(&size), widen(&compressed), widen(&local) else { return }
                }
                extra += 4 + length
            }
            if method == 0, compressed == size, u32(local) == 0x0403_4B50, let localName = u16(local + 26),
                let localExtra = u16(local + 28)
            {
                let start = local + 30 + localName + localExtra
                if start <= file.count, size <= file.count - start { ranges[name] = start..<(start + size) }
            }
            at += 46 + nameLength + extraLength + commentLength
        }
    }

    /// The byte range of entry `name` when it is stored uncompressed with `size` bytes.
    func range(of name: String, size: Int) -> Range<Int>? {
        guard let range = ranges[name], range.count == size else { return nil }
        return range
    }
}
