import LgregArchitecture

/// How a training run ties virtual layers to stored weights.
public enum TrainingMode: String, Codable, CaseIterable, Sendable {
    /// Every layer has its own weights (a schedule of ones).
    case plain
    /// Stage-wise weight sharing: the virtual layers of stage m all use stored layer m.
    case sws
    /// TLEG: stored layers θ_A (`blocks.0`) and θ_B (`blocks.1`); virtual layer l of L uses θ_A + (l/L)·θ_B.
    case tleg
}

/// The size table of a model's flat parameter buffer (llm.c's `ParameterTensors`): every tensor's name, shape
/// and offset, built from `ViTArchitecture`'s tensor specs. Gradients and AdamW moments use the same offsets.
public struct ParameterLayout: Sendable {
    /// The architecture every tensor's shape comes from.
    public let architecture: ViTArchitecture
    /// The tensors in buffer order: shared tensors, then stored layers `blocks.0 … blocks.{M−1}`.
    public let tensors: [TensorSpec]
    /// Start of each tensor in the flat buffer.
    public let offsets: [String: Int]
    /// Floats in one stored block.
    public let blockSize: Int
    /// Start of stored block 0; block s starts at `firstBlockOffset + s·blockSize`.
    public let firstBlockOffset: Int
    /// M, the number of stored blocks.
    public let storedLayers: Int
    /// Total floats.
    public let count: Int

    public init(architecture: ViTArchitecture, storedLayers: Int) {
        self.architecture = architecture
        self.storedLayers = storedLayers
        tensors = architecture.tensorSpecs(depth: storedLayers)
        var offsets: [String: Int] = [:]
        var running = 0
        for spec in tensors {
            offsets[spec.name] = running
            running += spec.elementCount
        }
        self.offsets = offsets
        count = running
        blockSize = architecture.blockTensorSpecs.reduce(0) { $0 + $1.elementCount }
        firstBlockOffset = architecture.sharedTensorSpecs.reduce(0) { $0 + $1.elementCount }
    }

    /// Offset of a block tensor (`attn.qkv.weight`) relative to its block's start.
    public func blockRelativeOffset(_ name: String) -> Int {
        offsets["blocks.0." + name]! - firstBlockOffset
    }

    /// 1 for tensors AdamW decays (matrices and the patch kernel), 0 for norms, biases, position embedding and
    /// class token, as timm's optimizer factory decides.
    public var decayMask: [Float] {
        var mask = [Float](repeating: 0, count: count)
        for spec in tensors where spec.shape.count >= 2 && spec.name != "pos_embed" && spec.name != "cls_token" {
            let start = offsets[spec.name]!
            for i in start..<(start + spec.elementCount) { mask[i] = 1 }
        }
        return mask
    }
}
