#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LgregArchitecture
import LgregCore
import SafeTensors

/// The `config.json` written beside an exported `model.safetensors` (`Schemas/timm-config.schema.json`):
/// what timm needs to build the model (`timm.create_model(architecture, num_classes=…, **model_args)`, or
/// `VisionTransformer(num_classes=…, **model_args)` for `vit_custom`) and an `lgreg` section with the
/// pooling order and the lineage. Readers refuse an `lgreg.schemaVersion` they do not know.
public struct TimmConfig: Codable, Equatable, Sendable {
    /// The version of the `lgreg` section this build reads and writes.
    public static let currentVersion = 1

    /// timm's `VisionTransformer` arguments (snake case, as timm spells them).
    public struct ModelArgs: Codable, Equatable, Sendable {
        public var imgSize: Int
        public var patchSize: Int
        public var inChans: Int
        public var embedDim: Int
        public var depth: Int
        public var numHeads: Int
        public var mlpRatio: Double
        public var qkvBias: Bool
        public var classToken: Bool
        /// `avg` (no class token) or `token`.
        public var globalPool: String
        /// `false`: LayerNorm every token, then pool (`norm.*`); `true`: pool, then LayerNorm (`fc_norm.*`).
        public var fcNorm: Bool

        enum CodingKeys: String, CodingKey {
            case imgSize = "img_size", patchSize = "patch_size", inChans = "in_chans", embedDim = "embed_dim", depth
            case numHeads = "num_heads", mlpRatio = "mlp_ratio", qkvBias = "qkv_bias", classToken = "class_token"
            case globalPool = "global_pool", fcNorm = "fc_norm"
        }
    }

    /// What lgreg adds: the pooling order in its own words and where the weights came from.
    public struct LgregSection: Codable, Equatable, Sendable {
        public var schemaVersion: Int
        /// The pooling order the weights are stated for (`avg-norm-first`, `avg` or `cls`).
        public var pooling: Pooling
        /// LayerNorm epsilon (timm's ViT uses 1e-6).
        public var layerNormEps: Double
        /// Parameters in `model.safetensors`.
        public var parameters: Int
        public var lineage: Lineage
        /// `lgreg <version>`.
        public var tool: String
    }

    /// A timm model name (`vit_base_patch16_224`) when the shape is one timm registers, else `vit_custom`.
    public var architecture: String
    public var numClasses: Int
    public var numFeatures: Int
    public var globalPool: String
    public var modelArgs: ModelArgs
    public var lgreg: LgregSection

    enum CodingKeys: String, CodingKey {
        case architecture, numClasses = "num_classes", numFeatures = "num_features", globalPool = "global_pool"
        case modelArgs = "model_args", lgreg
    }

    /// The config of `net`; `tool` names the writer (`lgreg 0.1.0`).
    public init(_ net: DesNet, tool: String) {
        let a = net.architecture
        let args = ModelArgs(imgSize: a.imageSize, patchSize: a.patchSize, inChans: a.inChannels, embedDim: a.width, depth: net.depth,
                             numHeads: a.heads, mlpRatio: Double(a.mlpRatio), qkvBias: a.qkvBias, classToken: a.classToken,
                             globalPool: a.pooling == .cls ? "token" : "avg", fcNorm: a.pooling == .avg)
        let registered: [Int: (name: String, heads: Int)] = [192: ("tiny", 3), 384: ("small", 6), 768: ("base", 12)]
        if a.imageSize == 224, a.patchSize == 16, a.inChannels == 3, a.mlpRatio == 4, a.qkvBias,
           let size = registered[a.width], size.heads == a.heads {
            architecture = "vit_\(size.name)_patch16_224"
        } else {
            architecture = "vit_custom"
        }
        numClasses = a.classes
        numFeatures = a.width
        globalPool = args.globalPool
        modelArgs = args
        lgreg = LgregSection(schemaVersion: Self.currentVersion, pooling: a.pooling, layerNormEps: a.layerNormEps,
                             parameters: net.parameterCount, lineage: net.lineage, tool: tool)
    }

    /// Pretty-printed JSON with sorted keys.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads and checks an export's `config.json`.
    /// - Throws: `ResolverError.invalidFile` naming the field for a malformed file or an unknown version.
    public static func read(from url: URL) throws -> TimmConfig {
        let data: Data
        do { data = try RegularFile.contents(of: url, limit: 1 << 20) } catch let error as FileSystemError {
            throw ResolverError.io(path: url.path, reason: error.reason)
        }
        struct Probe: Decodable {
            struct Section: Decodable { var schemaVersion: Int? }
            var lgreg: Section?
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: data) else {
            throw ResolverError.invalidFile(path: url.path, field: nil, reason: "is not a JSON object")
        }
        guard let version = probe.lgreg?.schemaVersion else {
            throw ResolverError.invalidFile(path: url.path, field: "lgreg.schemaVersion", reason: "is missing")
        }
        guard version == currentVersion else {
            throw ResolverError.invalidFile(path: url.path, field: "lgreg.schemaVersion", reason: "is \(version); this lgreg reads version \(currentVersion) only")
        }
        do { return try StrictJSONDecoder().decode(TimmConfig.self, from: data) } catch let error as DecodingError {
            throw ResolverError.invalidFile(path: url.path, field: Self.field(of: error), reason: "\(error)")
        }
    }

    private static func field(of error: DecodingError) -> String? {
        let path: [CodingKey]
        switch error {
        case let .keyNotFound(key, context): path = context.codingPath + [key]
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context): path = context.codingPath
        @unknown default: return nil
        }
        return path.isEmpty ? nil : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// Writes a Des-Net as a folder timm loads: `model.safetensors` under timm's key names (streamed tensor by
/// tensor, never assembled in memory) and `config.json`, the pair replaced together (`AtomicDirectory`) so a
/// reader never finds the model of one export beside the config of another.
public enum TimmExport {
    /// The files an export folder holds.
    public static let files: Set<String> = ["model.safetensors", "config.json"]

    /// Writes `net` into `directory`, created or replaced as a whole.
    /// - Parameter progress: called after each tensor with (bytes written, total bytes).
    /// - Throws: `FileSystemError` when the folder cannot be written, or exists and holds other files;
    ///   `SafeTensorsError` from the writer or a source file.
    public static func write(_ net: DesNet, to directory: URL, tool: String,
                             progress: (_ written: Int, _ total: Int) -> Void = { _, _ in }) throws {
        let declarations = try net.tensors.map {
            try SafeTensorsWriter.Declaration(name: net.architecture.timmName($0.name), dtype: $0.dtype, shape: $0.shape)
        }
        let config = try TimmConfig(net, tool: tool).encoded()
        let total = net.byteCount
        try AtomicDirectory.replace(directory, holding: files) { folder in
            var written = 0
            try SafeTensorsWriter.stream(to: folder.appendingPathComponent("model.safetensors"), tensors: declarations,
                                         metadata: ["format": "pt"]) { index, emit in
                try net.tensors[index].withBytes(emit)
                written += net.tensors[index].byteCount
                progress(written, total)
            }
            TestCrashPoint.reached("export-model")
            try AtomicFileWriter.write(config, to: folder.appendingPathComponent("config.json"))
        }
    }
}
