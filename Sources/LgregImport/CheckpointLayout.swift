import LgregArchitecture
import LgregArchive
import SafeTensors

/// How a checkpoint names a ViT's tensors: the official SWS or TLEG Aux-Net, or timm's `VisionTransformer`.
public enum CheckpointLayout: String, CaseIterable, Sendable {
    /// The SWS Aux-Net as the authors' code saves it: `blocks.block.<part>.instances.<stage>.<param>`.
    case swsOfficial = "sws-official"
    /// The TLEG Aux-Net: `blocks.block.<part>.instances.0.<param>_base` (θ_A) and `…_ilayer` (θ_B).
    case tlegOfficial = "tleg-official"
    /// timm's `VisionTransformer.state_dict()`: `blocks.<i>.<part>.<param>`, `norm` or `fc_norm`.
    case timm

    /// The layout a checkpoint's tensor names suggest, or nil when none fits.
    public static func detect(_ names: [String]) -> CheckpointLayout? {
        if names.contains(where: { $0.hasPrefix("blocks.block.") && $0.hasSuffix("_ilayer") }) { return .tlegOfficial }
        if names.contains(where: { $0.hasPrefix("blocks.block.") && $0.contains(".instances.") }) {
            return .swsOfficial
        }
        if names.contains(where: { $0.hasPrefix("blocks.0.") }) { return .timm }
        return nil
    }

    /// The learngene kind this layout imports into.
    public var kind: LearngeneManifest.Kind {
        switch self {
        case .swsOfficial: return .sws
        case .tlegOfficial: return .tleg
        case .timm: return .plain
        }
    }

    /// LayerNorm epsilon of the code that wrote the layout: the official Aux-Nets build `nn.LayerNorm` with
    /// PyTorch's default 1e-5; timm's ViT uses 1e-6.
    public var layerNormEps: Double { self == .timm ? 1e-6 : 1e-5 }

    /// The checkpoint name of learngene layer `layer`'s tensor `relative` (`attn.qkv.weight`).
    func checkpointName(layer: Int, _ relative: String) -> String {
        let dot = relative.lastIndex(of: ".")!
        let part = relative[..<dot]
        let param = relative[relative.index(after: dot)...]
        switch self {
        case .swsOfficial: return "blocks.block.\(part).instances.\(layer).\(param)"
        case .tlegOfficial: return "blocks.block.\(part).instances.0.\(param)_\(layer == 0 ? "base" : "ilayer")"
        case .timm: return "blocks.\(layer).\(relative)"
        }
    }
}

/// What the user may say about a checkpoint that its shapes do not: the stage schedule, the heads, or the
/// whole architecture.
public struct LayoutOptions: Sendable {
    /// The Aux-Net's stage schedule (sws-official; default 3,3,4,3,3), or its depth as one stage (tleg-official;
    /// default 12). Ignored for timm, whose depth is its block count.
    public var schedule: StageSchedule?
    /// Attention heads (default: width / 64, DeiT's head width).
    public var heads: Int?
    /// The architecture, instead of inferring it from the shapes (it must agree with them).
    public var architecture: ViTArchitecture?

    public init(schedule: StageSchedule? = nil, heads: Int? = nil, architecture: ViTArchitecture? = nil) {
        self.schedule = schedule
        self.heads = heads
        self.architecture = architecture
    }
}

/// A checkpoint read through a layout: the learngene it makes and, for every tensor of the model file
/// `LearngeneArchive.pack` reads (full lgreg names, shared tensors first), the checkpoint tensor it comes from.
public struct LayoutPlan: Sendable {
    /// The layout used.
    public var layout: CheckpointLayout
    /// The learngene's kind.
    public var kind: LearngeneManifest.Kind
    /// The ViT the tensors belong to.
    public var architecture: ViTArchitecture
    /// The manifest's schedule.
    public var schedule: StageSchedule
    /// Element type of the archive: the checkpoint's, when all its tensors share F32, F16 or BF16; else F32.
    public var dtype: DType
    /// (lgreg name, checkpoint name), in the order `pack` reads them.
    public var sources: [(lgreg: String, checkpoint: String)]

    /// Maps `checkpoint`'s tensors through `layout`, inferring the architecture from the shapes unless `options`
    /// gives one, and checks that every tensor the architecture needs is there with its shape and nothing else is.
    /// - Throws: `ImportError.layoutMismatch` naming the tensor; `ImportError.invalidOption` for a schedule or
    ///   head count that does not fit.
    public init(_ checkpoint: Checkpoint, layout: CheckpointLayout, options: LayoutOptions = LayoutOptions()) throws {
        let shapes = Dictionary(checkpoint.tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        let label = checkpoint.label
        func mismatch(_ tensor: String, _ reason: String) -> ImportError {
            .layoutMismatch(path: label, layout: layout.rawValue, tensor: tensor, reason: reason)
        }
        func shape(_ name: String) throws -> [Int] {
            guard let found = shapes[name] else { throw mismatch(name, "is missing") }
            return found
        }
        // The final LayerNorm: `norm` everywhere, `fc_norm` in a timm model pooled by `avg`.
        let usesFcNorm = layout == .timm && shapes["fc_norm.weight"] != nil
        if usesFcNorm, shapes["norm.weight"] != nil {
            throw mismatch("norm.weight", "and fc_norm.weight are both present; timm keeps one")
        }
        func sharedName(_ name: String) -> String { usesFcNorm && name.hasPrefix("norm.") ? "fc_" + name : name }

        // How many learngene layers the checkpoint holds.
        let layerCount: Int
        switch layout {
        case .swsOfficial:
            layerCount = Self.indices(in: shapes.keys, prefix: "blocks.block.norm1.instances.", suffix: ".weight")
        case .tlegOfficial:
            let stages = Self.indices(in: shapes.keys, prefix: "blocks.block.norm1.instances.", suffix: ".weight_base")
            guard stages <= 1 else {
                throw mismatch(
                    "blocks.block.norm1.instances.1.weight_base",
                    "is a second stage; lgreg's tleg learngene has one (θ_A, θ_B)")
            }
            layerCount = 2 * stages
        case .timm:
            layerCount = Self.indices(in: shapes.keys, prefix: "blocks.", suffix: ".norm1.weight")
        }
        guard layerCount > 0 else {
            throw mismatch(
                layout.checkpointName(layer: 0, "norm1.weight"),
                "is missing; this is not a \(layout.rawValue) checkpoint")
        }

        let schedule: StageSchedule
        switch layout {
        case .swsOfficial:
            schedule = try options.schedule ?? StageSchedule([3, 3, 4, 3, 3])
            guard schedule.stageCount == layerCount else {
                throw ImportError.invalidOption(
                    option: "--schedule \(schedule)",
                    reason: "has \(schedule.stageCount) stages; the checkpoint holds \(layerCount) stage instances")
            }
        case .tlegOfficial:
            schedule = try options.schedule ?? StageSchedule([12])
            guard schedule.stageCount == 1 else {
                throw ImportError.invalidOption(
                    option: "--schedule \(schedule)",
                    reason: "a TLEG Aux-Net is one stage of L layers; give its depth alone, such as 12")
            }
        case .timm:
            schedule = try StageSchedule([Int](repeating: 1, count: layerCount))
        }

        var architecture: ViTArchitecture
        if let given = options.architecture {
            architecture = given
        } else {
            let patch = try shape("patch_embed.proj.weight")
            let position = try shape("pos_embed")
            let head = try shape("head.weight")
            let fc1 = try shape(layout.checkpointName(layer: 0, "mlp.fc1.weight"))
            guard patch.count == 4, patch[2] == patch[3] else {
                throw mismatch(
                    "patch_embed.proj.weight", "has shape \(patch); a square patch convolution is [d, C, p, p]")
            }
            guard position.count == 3, position[0] == 1 else {
                throw mismatch("pos_embed", "has shape \(position); expected [1, tokens, d]")
            }
            guard head.count == 2, fc1.count == 2 else {
                throw mismatch("head.weight", "has shape \(head); expected [classes, d]")
            }
            let width = patch[0]
            let classToken = shapes["cls_token"] != nil
            let patches = position[1] - (classToken ? 1 : 0)
            let grid = Int(Double(max(patches, 0)).squareRoot().rounded())
            guard grid * grid == patches, patches > 0 else {
                throw mismatch("pos_embed", "holds \(patches) patch positions, not a square grid")
            }
            guard fc1[0] % width == 0 else {
                throw mismatch(
                    layout.checkpointName(layer: 0, "mlp.fc1.weight"),
                    "has \(fc1[0]) outputs, not a multiple of the width \(width)")
            }
            let heads = options.heads ?? (width % 64 == 0 ? width / 64 : 0)
            guard heads > 0 else {
                throw ImportError.invalidOption(
                    option: "--heads",
                    reason:
                        "the width \(width) is not a multiple of 64 (DeiT's head width); say how many heads the model has"
                )
            }
            let pooling: Pooling
            switch (classToken, usesFcNorm) {
            case (true, false): pooling = .cls
            case (false, false): pooling = .avgNormFirst
            case (_, true): pooling = .avg
            }
            architecture = ViTArchitecture(
                imageSize: grid * patch[2], patchSize: patch[2], inChannels: patch[1], width: width, heads: heads,
                mlpRatio: fc1[0] / width, classes: head[0], classToken: classToken, pooling: pooling,
                layerNormEps: layout.layerNormEps,
                qkvBias: shapes[layout.checkpointName(layer: 0, "attn.qkv.bias")] != nil)
        }
        do { try architecture.validate() } catch let error as ArchitectureError {
            throw ImportError.invalidOption(
                option: options.architecture == nil ? "the inferred architecture" : "--arch", reason: error.description)
        }

        var sources: [(lgreg: String, checkpoint: String)] = []
        for spec in architecture.tensorSpecs(depth: layerCount) {
            let name: String
            if spec.name.hasPrefix("blocks.") {
                let parts = spec.name.split(separator: ".", maxSplits: 2)
                name = layout.checkpointName(layer: Int(parts[1])!, String(parts[2]))
            } else {
                name = sharedName(spec.name)
            }
            let found = try shape(name)
            guard found == spec.shape else {
                throw mismatch(name, "has shape \(found); the architecture needs \(spec.shape)")
            }
            sources.append((spec.name, name))
        }
        let used = Set(sources.map(\.checkpoint))
        if let extra = checkpoint.tensors.first(where: { !used.contains($0.name) }) {
            throw mismatch(
                extra.name, "is not part of a \(layout.rawValue) model of this architecture (\(layerCount) layers)")
        }
        let dtypes = Set(checkpoint.tensors.map(\.dtype))
        let common = dtypes.count == 1 ? DType(rawValue: dtypes.first!.rawValue) : nil
        self.layout = layout
        self.kind = layout.kind
        self.architecture = architecture
        self.schedule = schedule
        self.dtype = common.flatMap { $0.isFloatingPoint ? $0 : nil } ?? .f32
        self.sources = sources
    }

    /// How many consecutive indices 0, 1, … appear as `<prefix><i><suffix>` among `names`.
    private static func indices(in names: some Sequence<String>, prefix: String, suffix: String) -> Int {
        let found = Set(
            names.compactMap { name -> Int? in
                guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
                return Int(name.dropFirst(prefix.count).dropLast(suffix.count))
            })
        var count = 0
        while found.contains(count) { count += 1 }
        return count
    }
}
