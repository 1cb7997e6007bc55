import LgregArchitecture
import LgregRuntime

extension ParameterLayout {
    /// Floats in one block; blocks are contiguous, `blocks.i.norm1.weight` first.
    public var blockSize: Int { architecture.blockTensorSpecs.reduce(0) { $0 + $1.elementCount } }

    /// Offset of block `index`'s first float.
    public func blockStart(_ index: Int) -> Int { offset("blocks.\(index).norm1.weight") }

    /// 1 for tensors AdamW decays (matrices and the patch kernel), 0 for norms, biases, position embedding and
    /// class token, as timm's optimizer factory decides.
    public var decayMask: [Float] {
        var mask = [Float](repeating: 0, count: count)
        for spec in specs where spec.shape.count >= 2 && spec.name != "pos_embed" && spec.name != "cls_token" {
            let start = offset(spec.name)
            for i in start..<(start + spec.elementCount) { mask[i] = 1 }
        }
        return mask
    }
}
