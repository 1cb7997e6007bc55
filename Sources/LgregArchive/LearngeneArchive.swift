import Foundation
import LgregArchitecture
import LgregCore
import SafeTensors

#if canImport(Glibc)
    import Glibc
#endif

/// Bounds a reader puts on an archive before it reads a byte of an entry's data.
public struct ArchiveLimits: Sendable {
    /// Largest `manifest.json` accepted.
    public var manifestBytes: Int
    /// Room a safetensors header may take beyond its tensors' data.
    public var headerAllowance: Int
    /// Largest entry accepted, whatever the manifest declares (an attacker's manifest can declare an
    /// architecture whose files are terabytes).
    public var entryBytes: Int
    /// Largest total of entry data accepted, whatever the manifest declares.
    public var totalBytes: Int
    /// How many times its own size (counted as at least 1 MiB) an archive may expand to: weights barely compress,
    /// so an archive whose architecture needs far more tensor bytes than that is refused before it is expanded.
    public var expansionRatio: Int

    /// 1 MiB manifests, 1 MiB headers, 4 GiB per entry (a ViT-22B block in F32 is 1.8 GB), 1 TiB in all, and at
    /// most 64 times the archive's size.
    public init(
        manifestBytes: Int = 1 << 20, headerAllowance: Int = 1 << 20, entryBytes: Int = 4 << 30,
        totalBytes: Int = 1 << 40,
        expansionRatio: Int = 64
    ) {
        self.manifestBytes = manifestBytes
        self.headerAllowance = headerAllowance
        self.entryBytes = entryBytes
        self.totalBytes = totalBytes
        self.expansionRatio = expansionRatio
    }
}

/// One checked file of an archive: its manifest record and its tensors, opened.
public struct ExtractedFile: @unchecked Sendable {
    /// The file's record in the manifest (digest and size verified).
    public var record: LearngeneManifest.FileRecord
    /// Where the bytes were written (`nil` when read into memory).
    public var url: URL?
    /// The validated tensors, mapped from `url` or held in memory.
    public var tensors: SafeTensorsFile
}

/// A learngene archive whose every entry has been checked: paths, types, sizes, digests, safetensors
/// validity, tensor names and shapes against the architecture, and the parameter budget.
public struct ExtractedLearngene: @unchecked Sendable {
    /// The decoded manifest.
    public var manifest: LearngeneManifest
    /// `manifest.json` exactly as stored in the archive.
    public var manifestBytes: Data
    /// `shared.safetensors`.
    public var shared: ExtractedFile
    /// `layers/{m}.safetensors`, m = 0…M-1.
    public var layers: [ExtractedFile]

    /// Shared file first, then the layers.
    public var files: [ExtractedFile] { [shared] + layers }
}

/// An archive checked as `LearngeneArchive.read` checks it, with every entry streamed and dropped: only the
/// manifest and each file's safetensors header are kept (what `lgreg inspect` prints).
public struct InspectedLearngene: Sendable {
    /// One checked file: its record and its header.
    public struct File: Sendable {
        /// The file's record in the manifest (digest and size verified).
        public var record: LearngeneManifest.FileRecord
        /// The file's validated header.
        public var header: SafeTensorsHeader
    }

    /// The decoded manifest.
    public var manifest: LearngeneManifest
    /// Shared file first, then the layers.
    public var files: [File]
}

/// Reading, checking, packing and writing `.lgz` learngene archives.
///
/// ```swift
/// let checked = try LearngeneArchive.read(URL(fileURLWithPath: "aux-b.lgz"))   // in memory
/// try LearngeneArchive.read(url, into: stagingDirectory)                        // streamed to files
/// try LearngeneArchive.inspect(url)                                             // streamed, headers kept
/// ```
public enum LearngeneArchive {
    /// Reads and checks every entry of the archive at `url`, in the cheapest order: entry path and type,
    /// duplicates, `manifest.json` first and valid, each entry listed with the size the manifest declares and
    /// within the limits (before any data is read), then its safetensors header and tensors against the
    /// architecture as soon as the header has streamed in, then its SHA-256 once all of it has.
    ///
    /// - Parameters:
    ///   - directory: where to stream each file (as `0.part`, `1.part`, …, all fsynced before this returns), or
    ///     nil to read into memory.
    ///   - label: names the archive in errors (defaults to `url.path`).
    /// - Throws: `ArchiveError` naming the entry and the reason; `FileSystemError` when a file cannot be
    ///   written. Files written to `directory` before a failure are left there for the caller to remove.
    public static func read(
        _ url: URL, into directory: URL? = nil, limits: ArchiveLimits = ArchiveLimits(),
        label: String? = nil
    ) throws -> ExtractedLearngene {
        let path = label ?? url.path
        let syncs = directory.map { _ in BackgroundSync() }
        var extracted: [String: ExtractedFile] = [:]
        let (manifest, manifestBytes) = try scan(url, limits: limits, path: path) { tar, record, slot, check in
            let file: ExtractedFile
            if let directory {
                let target = directory.appendingPathComponent("\(slot).part")
                let writer = HashingWriter(file: try DurableFileWriter(url: target))
                try check.stream(tar) { try writer.append($0) }
                let actual = try writer.finish()
                syncs?.schedule(target)
                try check.digest(actual)
                file = ExtractedFile(
                    record: record, url: target,
                    tensors: try check.opened(target.path) { try SafeTensorsFile(path: target.path) })
            } else {
                var hasher = Digest.Hasher()
                var data = Data(capacity: record.size)
                try check.stream(tar) { chunk in
                    hasher.update(chunk)
                    data.append(contentsOf: chunk)
                }
                try check.digest(hasher.finalize())
                let label = "\(path): entry '\(record.file)'"
                file = ExtractedFile(
                    record: record, url: nil,
                    tensors: try check.opened(label) { try SafeTensorsFile(data: data, label: label) })
            }
            extracted[record.file] = file
        }
        try syncs?.wait()
        return ExtractedLearngene(
            manifest: manifest, manifestBytes: manifestBytes,
            shared: extracted[LearngeneManifest.sharedFile]!,
            layers: manifest.layers.map { extracted[$0.file]! })
    }

    /// Checks every entry of the archive at `url` exactly as `read` does, holding no entry in memory: each is
    /// hashed as it streams by and only its safetensors header is kept.
    /// - Throws: `ArchiveError` naming the entry and the reason.
    public static func inspect(_ url: URL, limits: ArchiveLimits = ArchiveLimits(), label: String? = nil) throws
        -> InspectedLearngene
    {
        var files: [String: InspectedLearngene.File] = [:]
        let (manifest, _) = try scan(url, limits: limits, path: label ?? url.path) { tar, record, _, check in
            var hasher = Digest.Hasher()
            let header = try check.stream(tar) { hasher.update($0) }
            try check.digest(hasher.finalize())
            files[record.file] = .init(record: record, header: header)
        }
        return InspectedLearngene(manifest: manifest, files: manifest.files.map { files[$0.file]! })
    }

    /// The checks `read` and `inspect` share: walks every entry through an `ArchiveCursor` (which refuses unsafe,
    /// duplicate and unlisted entries, decodes the manifest and bounds each entry before its data is read), hands
    /// each listed file to `extract` (which streams it through `EntryCheck`), and finally requires every listed
    /// file.
    private static func scan(
        _ url: URL, limits: ArchiveLimits, path: String,
        extract: (TarReader, LearngeneManifest.FileRecord, Int, EntryCheck) throws -> Void
    ) throws -> (LearngeneManifest, Data) {
        let cursor = try ArchiveCursor(url, limits: limits, path: path)
        while let slot = try cursor.next() {
            try extract(cursor.tar, cursor.manifest.files[slot], slot, cursor.check(slot))
        }
        return (cursor.manifest, cursor.manifestBytes)
    }

    /// An archive read forward entry by entry with `read`'s checks: opening it reads `manifest.json` (which must
    /// come first, within the limits, valid, and within the expansion bound); `next()` moves to the next listed
    /// file, refusing on the way unsafe paths, links and special files, duplicates, unlisted entries and entries
    /// whose size is not the manifest's or exceeds the limits, and at the end any listed file never seen. An
    /// entry `next()` passes without streaming its data is skipped unread.
    final class ArchiveCursor {
        let tar: TarReader
        let manifest: LearngeneManifest
        let manifestBytes: Data
        private let limits: ArchiveLimits
        private let path: String
        /// Entry names met so far.
        private(set) var seen = Set<String>()
        private var total = 0

        init(_ url: URL, limits: ArchiveLimits, path: String) throws {
            tar = try TarReader(path: url.path, label: path)
            self.limits = limits
            self.path = path
            var bytes = Data()
            while let header = try tar.next() {
                let name = try Self.checkOther(header, path: path, seen: &seen)
                guard let name else { continue }
                guard name == LearngeneManifest.entryName else {
                    throw ArchiveError.missingManifest(path: path, firstEntry: name)
                }
                guard header.size <= limits.manifestBytes else {
                    throw ArchiveError.limitExceeded(
                        path: path, entry: name, limit: limits.manifestBytes, what: "the manifest")
                }
                bytes.reserveCapacity(header.size)
                try tar.readData { chunk in
                    guard bytes.count + chunk.count <= limits.manifestBytes else {
                        throw ArchiveError.limitExceeded(
                            path: path, entry: name, limit: limits.manifestBytes, what: "the manifest")
                    }
                    bytes.append(contentsOf: chunk)
                }
                let decoded = try LearngeneManifest.decode(bytes, path: path)
                try checkExpansion(decoded, archive: url, limits: limits, path: path)
                (manifest, manifestBytes) = (decoded, bytes)
                return
            }
            throw ArchiveError.missingManifest(path: path, firstEntry: nil)
        }

        /// The entry's name after `checkEntryHeader` and the duplicate check; nil for the `layers` folder.
        private static func checkOther(_ header: TarEntryHeader, path: String, seen: inout Set<String>) throws
            -> String?
        {
            let name = try checkEntryHeader(header, path: path)
            guard seen.insert(name).inserted else { throw ArchiveError.duplicateEntry(path: path, entry: name) }
            guard header.fileType == TarFileType.directory else { return name }
            guard name == "layers" else { throw ArchiveError.unexpectedEntry(path: path, entry: header.path) }
            return nil
        }

        /// Moves to the next listed file and returns its slot in `manifest.files` (its data not yet read), or nil
        /// at the end of the archive once every listed file has been seen.
        func next() throws -> Int? {
            while let header = try tar.next() {
                guard let name = try Self.checkOther(header, path: path, seen: &seen) else { continue }
                guard let slot = manifest.files.firstIndex(where: { $0.file == name }) else {
                    throw ArchiveError.unexpectedEntry(path: path, entry: name)
                }
                let record = manifest.files[slot]
                let entryLimit = min(manifest.tensorBytes(ofFile: slot) + limits.headerAllowance, limits.entryBytes)
                guard header.size <= entryLimit else {
                    throw ArchiveError.limitExceeded(path: path, entry: name, limit: entryLimit, what: "the entry")
                }
                guard header.size == record.size else {
                    throw ArchiveError.sizeMismatch(path: path, entry: name, declared: record.size, actual: header.size)
                }
                total += header.size
                guard total <= limits.totalBytes else {
                    throw ArchiveError.limitExceeded(
                        path: path, entry: name, limit: limits.totalBytes, what: "the archive")
                }
                return slot
            }
            for record in manifest.files where !seen.contains(record.file) {
                throw ArchiveError.missingEntry(path: path, entry: record.file)
            }
            return nil
        }

        /// The checks that stream the file at `slot`, the entry `next()` returned.
        func check(_ slot: Int) -> EntryCheck {
            EntryCheck(manifest: manifest, slot: slot, headerAllowance: limits.headerAllowance, path: path)
        }
    }

    /// Refuses an archive whose architecture needs more tensor bytes than `limits.expansionRatio` times the
    /// archive's size (at least 1 MiB): an 18 MB archive declaring a million classes would stage 3.9 GB of zeros.
    static func checkExpansion(
        _ manifest: LearngeneManifest, archive url: URL, limits: ArchiveLimits,
        path: String
    ) throws {
        let tensorBytes = manifest.files.indices.reduce(0) { $0 + manifest.tensorBytes(ofFile: $1) }
        let archiveBytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        let limit = max(archiveBytes, 1 << 20) * limits.expansionRatio
        guard tensorBytes <= limit else {
            throw ArchiveError.limitExceeded(
                path: path, entry: LearngeneManifest.entryName, limit: limit,
                what: "the archive, whose architecture needs \(tensorBytes) bytes of tensors,")
        }
    }

    /// The entry's normalized name, after refusing unsafe paths, links and special files.
    static func checkEntryHeader(_ header: TarEntryHeader, path: String) throws -> String {
        var name = header.path
        if header.fileType == TarFileType.directory, name.hasSuffix("/") { name.removeLast() }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        if name.hasPrefix("/") || components.contains(where: { $0.isEmpty || $0 == ".." || $0 == "." }) {
            throw ArchiveError.unsafePath(path: path, entry: header.path)
        }
        if let target = header.hardLinkTarget { throw ArchiveError.hardLink(path: path, entry: name, target: target) }
        if header.fileType == TarFileType.symlink {
            throw ArchiveError.symlink(path: path, entry: name, target: header.symlinkTarget ?? "")
        }
        guard header.fileType == TarFileType.regular || header.fileType == TarFileType.directory else {
            throw ArchiveError.specialFile(path: path, entry: name, type: header.typeName)
        }
        return name
    }

    /// Checks one entry while it streams: never more bytes than the manifest declares, and its safetensors
    /// header against the architecture as soon as the header is in, before the rest is written anywhere.
    struct EntryCheck {
        let manifest: LearngeneManifest
        let slot: Int
        let headerAllowance: Int
        let path: String
        var record: LearngeneManifest.FileRecord { manifest.files[slot] }

        /// Streams the entry's data to `consume`, checking it on the way; returns the validated header.
        @discardableResult
        func stream(_ tar: TarReader, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> SafeTensorsHeader {
            var received = 0
            var prefix = Data()
            var header: SafeTensorsHeader?
            var nonFinite: NonFiniteScan?
            try tar.readData { chunk in
                guard chunk.count <= record.size - received else {
                    throw ArchiveError.sizeMismatch(
                        path: path, entry: record.file, declared: record.size, actual: received + chunk.count)
                }
                received += chunk.count
                if header == nil {
                    prefix.append(contentsOf: chunk.prefix(8 + headerAllowance - prefix.count))
                    header = try parseHeader(prefix, complete: false)
                    nonFinite = header.map { NonFiniteScan(header: $0, dtype: manifest.dtype) }
                }
                if let tensor = nonFinite?.firstNonFinite(in: chunk, at: received - chunk.count) {
                    throw ArchiveError.nonFinite(path: path, entry: record.file, tensor: tensor.name)
                }
                try consume(chunk)
            }
            guard received == record.size else {
                throw ArchiveError.unreadable(
                    path: path,
                    reason: "entry '\(Quoted.name(record.file))' ends after \(received) of its \(record.size) bytes")
            }
            if let header { return header }
            return try parseHeader(prefix, complete: true)!
        }

        /// The header once `prefix` holds it (nil while more bytes are needed, unless `complete`), checked
        /// against the architecture.
        private func parseHeader(_ prefix: Data, complete: Bool) throws -> SafeTensorsHeader? {
            try prefix.withUnsafeBytes { bytes in
                let declared = SafeTensorsHeader.declaredLength(bytes)
                if let declared, declared > UInt64(headerAllowance) {
                    throw ArchiveError.invalidSafeTensors(
                        path: path, entry: record.file,
                        reason: "header of \(declared) bytes exceeds the archive's allowance of \(headerAllowance)")
                }
                guard complete || declared.map({ bytes.count >= 8 + Int($0) }) ?? false else { return nil }
                let header = try opened(record.file) {
                    try SafeTensorsHeader(prefix: bytes, fileSize: record.size, path: record.file)
                }
                try checkTensors(header.tensors, manifest: manifest, slot: slot, path: path)
                return header
            }
        }

        /// Refuses a digest other than the manifest's.
        func digest(_ actual: Digest) throws {
            guard actual == record.digest else {
                throw ArchiveError.digestMismatch(
                    path: path, entry: record.file, declared: record.digest.description, actual: actual.description)
            }
        }

        /// Runs `body`, turning a safetensors error about `label` into `ArchiveError.invalidSafeTensors` for this entry.
        func opened<T>(_ label: String, _ body: () throws -> T) throws -> T {
            do { return try body() } catch let error as SafeTensorsError {
                let message = error.description
                let reason = message.hasPrefix(label + ": ") ? String(message.dropFirst(label.count + 2)) : message
                throw ArchiveError.invalidSafeTensors(path: path, entry: record.file, reason: reason)
            }
        }
    }

    /// Checks a file's tensors against the architecture and the manifest: the same names in the order the
    /// manifest lists, each with the architecture's shape and the manifest's dtype.
    /// - Parameter slot: 0 for the shared file, m + 1 for layer m.
    public static func checkTensors(_ tensors: [TensorInfo], manifest: LearngeneManifest, slot: Int, path: String)
        throws
    {
        let record = manifest.files[slot]
        let specs = slot == 0 ? manifest.architecture.sharedTensorSpecs : manifest.architecture.blockTensorSpecs
        let byName = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })
        for info in tensors {
            guard let spec = byName[info.name] else {
                throw ArchiveError.tensorMismatch(
                    path: path, entry: record.file, tensor: info.name,
                    reason: slot == 0
                        ? "is not a shared tensor of this architecture"
                        : "is not a tensor of this architecture's blocks")
            }
            guard info.shape == spec.shape else {
                throw ArchiveError.tensorMismatch(
                    path: path, entry: record.file, tensor: info.name,
                    reason: "has shape \(info.shape), the architecture needs \(spec.shape)")
            }
            guard info.dtype == manifest.dtype else {
                throw ArchiveError.tensorMismatch(
                    path: path, entry: record.file, tensor: info.name,
                    reason: "has dtype \(info.dtype.rawValue), the manifest declares \(manifest.dtype.rawValue)")
            }
        }
        let present = Set(tensors.map(\.name))
        if let missing = specs.first(where: { !present.contains($0.name) }) {
            throw ArchiveError.tensorMismatch(
                path: path, entry: record.file, tensor: missing.name,
                reason: "is missing; the architecture needs shape \(missing.shape)")
        }
        let names = tensors.map(\.name)
        guard names == record.tensors else {
            let field = slot == 0 ? "shared.tensors" : "layers[\(slot - 1)].tensors"
            throw ArchiveError.invalidManifest(
                path: path, field: field,
                reason: "lists \(Quoted.name("\(record.tensors)")), but the file holds \(Quoted.name("\(names)"))")
        }
    }

    // MARK: Writing

    /// Writes an archive: `manifest.json` first, then the shared file and each layer file, from `source`,
    /// which hands over a file's bytes by its archive path.
    public static func write(
        manifestBytes: Data, manifest: LearngeneManifest, to url: URL,
        source: (LearngeneManifest.FileRecord) throws -> Data
    ) throws {
        let tar = try TarWriter(url: url)
        try tar.addFile(LearngeneManifest.entryName, data: manifestBytes)
        for record in manifest.files { try tar.addFile(record.file, data: try source(record)) }
        try tar.finish()
    }
}

/// fsyncs finished files on background threads while the caller goes on; `wait()` returns once all are on
/// disk. Several fsyncs in flight at once share the filesystem's journal commits.
///
/// The scheduled work holds only the group and the failure box, never the `BackgroundSync` itself, so its
/// `deinit` (which waits for the group) always runs on the owner's thread, never inside a block it waits for.
public final class BackgroundSync: Sendable {
    private let group = DispatchGroup()
    private let failure = FailureBox()

    /// The first failure, shared with the scheduled work.
    private final class FailureBox: @unchecked Sendable {
        private let lock = NSLock()
        private var first: FileSystemError?

        func record(_ error: FileSystemError) { lock.withLock { if first == nil { first = error } } }
        var value: FileSystemError? { lock.withLock { first } }
    }

    public init() {}

    deinit { group.wait() }

    /// Starts fsyncing the file at `url`.
    public func schedule(_ url: URL) {
        let failure = self.failure
        DispatchQueue.global().async(group: group) {
            let fd = open(url.path, O_RDONLY | O_CLOEXEC)
            if fd < 0 || fsync(fd) != 0 { failure.record(FileSystemError(path: url.path, operation: "fsync")) }
            if fd >= 0 { close(fd) }
        }
    }

    /// Waits for every scheduled fsync.
    /// - Throws: the first failure.
    public func wait() throws {
        group.wait()
        if let first = failure.value { throw first }
    }
}
