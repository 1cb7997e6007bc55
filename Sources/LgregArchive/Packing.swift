import Dispatch
import Foundation
import LgregArchitecture
import LgregCore
import SafeTensors

/// Where `LearngeneArchive.pack` takes a model's tensors from, by full lgreg name (`patch_embed.proj.weight`,
/// `blocks.{m}.…`): a safetensors file, or a checkpoint read in place (`lgreg import`). The bytes are asked for
/// twice per tensor (once to hash, once to write), so a source hands out views of what it holds, not copies.
public protocol PackSource: Sendable {
    /// Names the model in errors.
    var packLabel: String { get }
    /// Every tensor the model holds (any it holds beyond the architecture's is refused).
    var packTensorNames: [String] { get }
    /// The dtype and shape of tensor `name`; nil when the model has no such tensor.
    func packDeclaration(of name: String) -> (dtype: DType, shape: [Int])?
    /// Calls `body` with tensor `name`'s little-endian bytes (as its declared dtype), valid during the call only;
    /// may be called from several threads at once.
    func withPackBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
}

extension SafeTensorsFile: PackSource {
    public var packLabel: String { path }
    public var packTensorNames: [String] { tensors.map(\.name) }
    public func packDeclaration(of name: String) -> (dtype: DType, shape: [Int])? {
        (try? info(name)).map { ($0.dtype, $0.shape) }
    }
    public func withPackBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try body(try bytes(name))
    }
}

extension LearngeneArchive {
    /// Builds an archive from a model file with full tensor names (`patch_embed.proj.weight`, `blocks.{m}.…`)
    /// and a manifest template: splits it into the shared file and one file per layer with block-relative
    /// names, fills in files, digests, sizes and the parameter budget, checks the result and writes it.
    /// - Returns: the complete manifest written.
    @discardableResult
    public static func pack(template: LearngeneManifest, model: SafeTensorsFile, to url: URL) throws
        -> LearngeneManifest
    {
        try pack(template: template, source: model, to: url)
    }

    /// Builds an archive as `pack(template:model:to:)` does from any `PackSource`, with no copy of a tensor: every
    /// tensor is checked against the architecture (name, shape, dtype) before a byte is read; then each file's
    /// safetensors header is built from the declared shapes, and the header and the source's own tensor bytes are
    /// scanned for NaN and infinity and hashed (the manifest, which names every file's SHA-256, is the archive's
    /// first entry), the files spread over the cores; then the archive is written in one pass, each tensor's bytes
    /// handed from the source straight to the compressor.
    /// - Parameter completing: fills in what the template could not know before the files were hashed (the
    ///   digest of a checkpoint, computed alongside them); called before the manifest is validated.
    /// - Returns: the complete manifest written.
    /// - Throws: `ArchiveError` (a missing, extra, misshapen or non-finite tensor, an invalid manifest),
    ///   `SafeTensorsError`, `FileSystemError`; whatever the source throws. Nothing is written on failure.
    @discardableResult
    public static func pack(
        template: LearngeneManifest, source: some PackSource, to url: URL,
        completing: (inout LearngeneManifest) throws -> Void = { _ in }
    ) throws -> LearngeneManifest {
        let path = source.packLabel
        try template.validateDescription(path: path)
        let arch = template.architecture
        var used = Set<String>()
        func plan(_ file: String, _ specs: [TensorSpec], prefix: String) throws -> PackedFile {
            var declarations: [SafeTensorsWriter.Declaration] = []
            for spec in specs {
                let full = prefix + spec.name
                guard let (dtype, shape) = source.packDeclaration(of: full) else {
                    throw ArchiveError.tensorMismatch(
                        path: path, entry: "model", tensor: full,
                        reason: "is missing; the architecture needs shape \(spec.shape)")
                }
                guard shape == spec.shape else {
                    throw ArchiveError.tensorMismatch(
                        path: path, entry: "model", tensor: full,
                        reason: "has shape \(shape), the architecture needs \(spec.shape)")
                }
                guard dtype == template.dtype else {
                    throw ArchiveError.tensorMismatch(
                        path: path, entry: "model", tensor: full,
                        reason: "has dtype \(dtype.rawValue), the manifest declares \(template.dtype.rawValue)")
                }
                declarations.append(try SafeTensorsWriter.Declaration(name: spec.name, dtype: dtype, shape: shape))
                used.insert(full)
            }
            let header = try SafeTensorsWriter.header(declarations)
            return PackedFile(
                file: file, names: specs.map(\.name), sources: specs.map { prefix + $0.name }, header: header,
                size: declarations.reduce(header.count) { $0 + $1.byteCount })
        }
        var files = [try plan(LearngeneManifest.sharedFile, arch.sharedTensorSpecs, prefix: "")]
        for m in 0..<template.expectedLayerCount {
            files.append(try plan(LearngeneManifest.layerFile(m), arch.blockTensorSpecs, prefix: "blocks.\(m)."))
        }
        if let extra = source.packTensorNames.first(where: { !used.contains($0) }) {
            throw ArchiveError.tensorMismatch(
                path: path, entry: "model", tensor: extra,
                reason:
                    "is not part of a \(template.kind.rawValue) learngene with \(template.expectedLayerCount) layers")
        }
        let digests = try digests(of: files, source: source, dtype: template.dtype, path: path)
        var manifest = template
        let records = zip(files, digests).map {
            LearngeneManifest.FileRecord(file: $0.file, digest: $1, size: $0.size, tensors: $0.names)
        }
        manifest.shared = records[0]
        manifest.layers = (0..<template.expectedLayerCount).map {
            .init(index: $0, role: template.role(ofLayer: $0), file: records[$0 + 1])
        }
        manifest.parameters = .init(stored: manifest.expectedStoredParameters)
        try completing(&manifest)
        try manifest.validate(path: url.path)
        let tar = try TarWriter(url: url)
        try tar.addFile(LearngeneManifest.entryName, data: try manifest.encoded())
        for file in files {
            try tar.addFile(file.file, size: file.size) { write in
                try file.header.withUnsafeBytes { try write($0) }
                for name in file.sources { try source.withPackBytes(of: name) { try write($0) } }
            }
        }
        try tar.finish()
        return manifest
    }

    /// One file of the archive being packed: its name, its tensors' names and the source tensors they come from
    /// (in order), its header and size.
    private struct PackedFile: Sendable {
        var file: String
        var names: [String]
        var sources: [String]
        var header: [UInt8]
        var size: Int
    }

    /// Each file's SHA-256 (header, then its tensors' bytes), after scanning every tensor for NaN and infinity;
    /// files are hashed side by side on all cores.
    /// - Throws: `ArchiveError.nonFinite` naming the first such tensor (in file order); whatever the source throws.
    private static func digests(of files: [PackedFile], source: some PackSource, dtype: DType, path: String) throws
        -> [Digest]
    {
        let results = ResultSlots<Digest>(count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { index in
            let file = files[index]
            results[index] = Result {
                var hasher = Digest.Hasher()
                file.header.withUnsafeBytes { hasher.update($0) }
                for name in file.sources {
                    try source.withPackBytes(of: name) { bytes in
                        // Scanned and hashed 256 KiB at a time, so the hash reads what the scan left in the cache.
                        var offset = 0
                        while offset < bytes.count {
                            let piece = UnsafeRawBufferPointer(
                                rebasing: bytes[offset..<min(offset + (256 << 10), bytes.count)])
                            if NonFiniteScan.firstNonFinite(in: piece, dtype: dtype) != nil {
                                throw ArchiveError.nonFinite(path: path, entry: "model", tensor: name)
                            }
                            hasher.update(piece)
                            offset += piece.count
                        }
                    }
                }
                return hasher.finalize()
            }
        }
        return try results.values()
    }
}

/// One result per index, written from `concurrentPerform`'s threads (each index by exactly one of them).
private final class ResultSlots<Value>: @unchecked Sendable {
    private var slots: [Result<Value, Error>?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    subscript(index: Int) -> Result<Value, Error>? {
        get { lock.withLock { slots[index] } }
        set { lock.withLock { slots[index] = newValue } }
    }

    /// Every value in index order, or the error of the lowest index that failed.
    func values() throws -> [Value] { try lock.withLock { slots }.map { try $0!.get() } }
}
