import CArchive
import Foundation
import LgregArchive
import LgregCore

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
/// and `data.pkl` within `ImportLimits.pickleBytes`. Storages are held in memory, so the reader holds at most the
/// file's size.
struct TorchZip {
    /// The top folder every entry lives in (`archive`, or the name the file was saved under).
    var folder: String
    /// `data.pkl`.
    var pickle: [UInt8]
    /// Storage bytes by key (`data/<key>`).
    var storages: [String: [UInt8]]

    /// Reads and checks the zip at `path`; `label` names it in errors.
    static func read(path: String, label: String, limits: ImportLimits) throws -> TorchZip {
        let file = try RegularFile(path: path)
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
        guard archive_read_open_fd(archive, file.descriptor, 1 << 20) == ARCHIVE_OK else { throw failure() }

        var folder: String?
        var seen = Set<String>()
        var pickle: [UInt8]?
        var byteOrder: [UInt8]?
        var storages: [String: [UInt8]] = [:]
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
                if parts.count == 3, parts[1] == "data" {
                    storages[parts[2]] = try readEntry(archive, size: size, name: name, label: label, failure: failure)
                }
            }
        }
        guard let folder, let pickle else {
            throw ImportError.missingEntry(path: label, entry: (folder ?? "archive") + "/data.pkl")
        }
        if let byteOrder, byteOrder != Array("little".utf8) {
            throw ImportError.unsupportedByteOrder(path: label, found: String(decoding: byteOrder, as: UTF8.self))
        }
        return TorchZip(folder: folder, pickle: pickle, storages: storages)
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
