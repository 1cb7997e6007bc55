import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import SafeTensors

/// `lgreg import`: a checkpoint trained elsewhere turned into a learngene archive `publish` accepts, its
/// provenance recording the checkpoint's SHA-256 and the layout it was read with.
///
/// ```swift
/// let request = CheckpointImport.Request(path: "checkpoint.pth", layout: .swsOfficial, name: "aux-b",
///                                        output: URL(fileURLWithPath: "aux-b.lgz"), toolVersion: "lgreg 0.1.0")
/// let manifest = try CheckpointImport.run(request)
/// ```
public enum CheckpointImport {
    /// What to import and how to describe it.
    public struct Request: Sendable {
        /// The checkpoint (`.pth`, `.pt`, `.bin` or `.safetensors`).
        public var path: String
        /// How it names its tensors.
        public var layout: CheckpointLayout
        /// The checkpoint key holding the state dict (`model`, `model_ema`); nil picks as `Checkpoint.open` does.
        public var key: String?
        /// Schedule, heads or architecture.
        public var options: LayoutOptions
        /// The learngene's name.
        public var name: String
        /// Its version.
        public var version: String
        /// Its SPDX licence.
        public var license: String
        /// The archive to write.
        public var output: URL
        /// The tool recorded in the provenance (`lgreg 0.1.0`).
        public var toolVersion: String

        public init(
            path: String, layout: CheckpointLayout, key: String? = nil, options: LayoutOptions = LayoutOptions(),
            name: String, version: String = "1", license: String = "NOASSERTION", output: URL, toolVersion: String
        ) {
            self.path = path
            self.layout = layout
            self.key = key
            self.options = options
            self.name = name
            self.version = version
            self.license = license
            self.output = output
            self.toolVersion = toolVersion
        }
    }

    /// What `--inspect` shows: the checkpoint's entries and tensors, and the layout lgreg would pick.
    public struct Inspection: Sendable {
        /// The checkpoint's top-level entries (empty for a bare state dict or safetensors).
        public var entries: [Checkpoint.Entry]
        /// The key the tensors came from.
        public var key: String?
        /// The tensors of the state dict.
        public var tensors: [Checkpoint.Tensor]
        /// The layout the names suggest.
        public var layout: CheckpointLayout?
        /// What that layout makes of the checkpoint, or why it cannot.
        public var plan: Result<LayoutPlan, ImportError>?
    }

    /// Reads the checkpoint and reports what is there, converting nothing.
    public static func inspect(
        path: String, key: String?, options: LayoutOptions = LayoutOptions(), limits: ImportLimits = ImportLimits()
    ) throws -> Inspection {
        let checkpoint = try Checkpoint.open(path: path, key: key, limits: limits)
        let layout = CheckpointLayout.detect(checkpoint.tensors.map(\.name))
        let plan = layout.map { layout in
            Result { try LayoutPlan(checkpoint, layout: layout, options: options) }.mapError {
                $0 as? ImportError ?? .invalidOption(option: "layout", reason: "\($0)")
            }
        }
        return Inspection(
            entries: checkpoint.entries, key: checkpoint.key, tensors: checkpoint.tensors, layout: layout, plan: plan)
    }

    /// Reads, maps and checks the checkpoint, then writes the archive (atomically: nothing is written on failure).
    /// - Returns: the manifest written.
    /// - Throws: `ImportError`, `ArchiveError` (an invalid name, version or licence), `FileSystemError`.
    @discardableResult
    public static func run(_ request: Request, limits: ImportLimits = ImportLimits()) throws -> LearngeneManifest {
        let checkpoint = try Checkpoint.open(path: request.path, key: request.key, limits: limits)
        // The checkpoint's SHA-256 is computed on another thread while the archive's files are hashed; the
        // provenance takes it once they are (`completing`), before the manifest is written.
        let hashing = SourceDigest(checkpoint)
        let plan = try LayoutPlan(checkpoint, layout: request.layout, options: request.options)
        let file = URL(fileURLWithPath: request.path).lastPathComponent
        let template = LearngeneManifest(
            name: request.name, version: request.version,
            description:
                "Imported by lgreg from \(Quoted.name(file, limit: 100)) (layout \(request.layout.rawValue)\(checkpoint.key.map { ", key \($0)" } ?? ""))",
            license: request.license, kind: plan.kind, architecture: plan.architecture, schedule: plan.schedule,
            dtype: plan.dtype,
            provenance: .init(
                trained: true, toolVersion: request.toolVersion,
                source: .init(
                    file: file, digest: SourceDigest.pending, layout: request.layout.rawValue, key: checkpoint.key)))
        try template.validateDescription(path: request.output.path)
        let source = ImportSource(checkpoint: checkpoint, plan: plan)
        return try LearngeneArchive.pack(template: template, source: source, to: request.output) {
            $0.provenance.source?.digest = hashing.wait()
        }
    }
}

/// The checkpoint's tensors under their lgreg names, as the layout plan maps them, converted to the plan's dtype:
/// what `LearngeneArchive.pack` reads, each tensor's bytes straight from the mapped checkpoint.
private struct ImportSource: PackSource, @unchecked Sendable {
    let checkpoint: Checkpoint
    let dtype: DType
    let names: [String]
    let origin: [String: (name: String, shape: [Int])]

    init(checkpoint: Checkpoint, plan: LayoutPlan) {
        self.checkpoint = checkpoint
        dtype = plan.dtype
        names = plan.sources.map(\.lgreg)
        let shapes = Dictionary(checkpoint.tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        origin = Dictionary(
            plan.sources.map { ($0.lgreg, ($0.checkpoint, shapes[$0.checkpoint] ?? [])) },
            uniquingKeysWith: { a, _ in a })
    }

    var packLabel: String { checkpoint.label }
    var packTensorNames: [String] { names }
    func packDeclaration(of name: String) -> (dtype: DType, shape: [Int])? { origin[name].map { (dtype, $0.shape) } }
    func withPackBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let source = origin[name] else {
            throw SafeTensorsError.missingTensor(path: checkpoint.label, name: name)
        }
        return try checkpoint.withBytes(source.name, as: dtype, body)
    }
}

/// The SHA-256 of a checkpoint file, computed on a background thread from the moment it is created.
private final class SourceDigest: @unchecked Sendable {
    /// Stands in the template's provenance until `wait()` gives the digest.
    static let pending = Digest(hex: String(repeating: "0", count: 64))!
    private let group = DispatchGroup()
    private var result = pending

    init(_ checkpoint: Checkpoint) {
        DispatchQueue.global().async(group: group) { [self] in result = checkpoint.fileDigest() }
    }

    deinit { group.wait() }

    /// The digest, once computed.
    func wait() -> Digest {
        group.wait()
        return result
    }
}
