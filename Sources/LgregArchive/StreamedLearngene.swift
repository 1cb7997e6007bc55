import Foundation
import LgregArchitecture
import LgregCore
import SafeTensors

/// A learngene archive read on demand (`LearngeneArchive.open`): opening it reads and checks `manifest.json`
/// alone, and each file is streamed out of the archive only when its bytes are first used, checked as
/// `LearngeneArchive.read` checks it (size, safetensors header and tensors against the architecture, non-finite
/// values, SHA-256), into memory that lives as long as the `SafeTensorsFile` handed out.
///
/// So what a command holds is what it uses: `plan` reads no tensor byte; a Des-Net built from two of five
/// layers reads the shared file and those two. One forward cursor serves files asked for in archive order; a file
/// behind it reopens the archive (whose manifest must not have changed). Once the cursor has passed every listed
/// file it reads on to the end, so an archive used whole has had every check `read` makes.
public final class StreamedLearngene: @unchecked Sendable {
    /// The decoded manifest.
    public let manifest: LearngeneManifest
    /// `manifest.json` exactly as stored in the archive.
    public let manifestBytes: Data
    private let url: URL
    private let limits: ArchiveLimits
    private let path: String
    private let lock = NSLock()
    /// Where the next file is read from; nil once the archive has been read to its end.
    private var cursor: LearngeneArchive.ArchiveCursor?

    init(_ url: URL, limits: ArchiveLimits, path: String) throws {
        let cursor = try LearngeneArchive.ArchiveCursor(url, limits: limits, path: path)
        (manifest, manifestBytes) = (cursor.manifest, cursor.manifestBytes)
        (self.url, self.limits, self.path, self.cursor) = (url, limits, path, cursor)
    }

    /// `shared.safetensors`, read on first use.
    public var shared: SafeTensorsFile { file(0) }

    /// `layers/{index}.safetensors`, read on first use.
    public func layer(_ index: Int) -> SafeTensorsFile { file(index + 1) }

    /// The file at `slot` of `manifest.files` (0 for the shared file, m + 1 for layer m), its tensors as the
    /// manifest and architecture describe them; its bytes are read from the archive on first use.
    public func file(_ slot: Int) -> SafeTensorsFile {
        SafeTensorsFile(tensors: describedTensors(slot), label: label(slot)) { [self] in try read(slot) }
    }

    private func label(_ slot: Int) -> String { "\(path): entry '\(manifest.files[slot].file)'" }

    /// The tensors the archive checks require of the file at `slot`: the manifest's names in data order, each
    /// with the architecture's shape and the manifest's dtype, packed from offset 0.
    private func describedTensors(_ slot: Int) -> [TensorInfo] {
        let architecture = manifest.architecture
        let specs = slot == 0 ? architecture.sharedTensorSpecs : architecture.blockTensorSpecs
        let shapes = Dictionary(specs.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
        var offset = 0
        return manifest.files[slot].tensors.map { name in
            let shape = shapes[name] ?? []
            let bytes = shape.reduce(1, *) * manifest.dtype.byteSize
            defer { offset += bytes }
            return TensorInfo(name: name, dtype: manifest.dtype, shape: shape, dataRange: offset..<offset + bytes)
        }
    }

    /// Streams the file at `slot` out of the archive into memory, checked on the way.
    private func read(_ slot: Int) throws -> SafeTensorsFile {
        try lock.withLock {
            let record = manifest.files[slot]
            if cursor == nil || cursor!.seen.contains(record.file) {
                let reopened = try LearngeneArchive.ArchiveCursor(url, limits: limits, path: path)
                guard reopened.manifestBytes == manifestBytes else {
                    throw ArchiveError.unreadable(path: path, reason: "its manifest changed while it was being read")
                }
                cursor = reopened
            }
            let current = cursor!
            cursor = nil  // until the file is read whole: after a failure, the next read starts over
            while true {
                guard let next = try current.next() else {
                    throw ArchiveError.missingEntry(path: path, entry: record.file)
                }
                if next == slot { break }
            }
            let check = current.check(slot)
            let label = label(slot)
            let file = try check.opened(label) {
                try SafeTensorsFile(count: record.size, label: label) { buffer in
                    var hasher = Digest.Hasher()
                    var filled = 0
                    try check.stream(current.tar) { chunk in
                        hasher.update(chunk)
                        UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<filled + chunk.count]).copyMemory(
                            from: chunk)
                        filled += chunk.count
                    }
                    try check.digest(hasher.finalize())
                }
            }
            if manifest.files.allSatisfy({ current.seen.contains($0.file) }) {
                _ = try current.next()  // the rest of the archive: unlisted or repeated entries are refused
            } else {
                cursor = current
            }
            return file
        }
    }
}

extension LearngeneArchive {
    /// Opens the archive at `url` for reading on demand: only `manifest.json` is read and checked now (first
    /// entry, size, schema, expansion bound); see `StreamedLearngene`.
    /// - Throws: `ArchiveError` naming the entry and the reason.
    public static func open(_ url: URL, limits: ArchiveLimits = ArchiveLimits(), label: String? = nil) throws
        -> StreamedLearngene
    {
        try StreamedLearngene(url, limits: limits, path: label ?? url.path)
    }
}
