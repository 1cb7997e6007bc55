import Foundation
import LgregCore

/// The names and shapes of a ViT's tensors, the one naming every lgreg module shares.
///
/// Names follow timm's `VisionTransformer`: `patch_embed.proj.weight`, `pos_embed`, `cls_token`,
/// `blocks.{i}.norm1.weight` … `blocks.{i}.mlp.fc2.bias`, `norm.weight`, `head.weight`. lgreg always calls
/// the final LayerNorm `norm`, whatever the pooling; only the timm export renames it `fc_norm` for `avg`
/// pooling, as timm does. A learngene of M layers is stored under the same names as an M-block model
/// (`blocks.0` … `blocks.{M-1}`), its stage schedule kept beside it.
public struct TensorSpec: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Full tensor name.
    public let name: String
    /// Shape, outermost first, as PyTorch stores it (a linear weight is [out, in]).
    public let shape: [Int]
    /// How a fresh tensor of this kind is initialized (timm's ViT defaults).
    public let initializer: Initializer

    public init(name: String, shape: [Int], initializer: Initializer) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
    }

    /// Elements in the tensor.
    public var elementCount: Int { shape.reduce(1, *) }
    public var description: String { "\(name) \(shape)" }

    /// Fresh values as `initializer` says: zeros, ones, or a normal with σ = 0.02 truncated to ±2σ (a draw
    /// outside is redrawn, which is the distribution `torch.nn.init.trunc_normal_(std=0.02, a=-0.04, b=0.04)`
    /// samples), drawn from `rng`.
    public func initialValues(using rng: inout SplitMix64) -> [Float] {
        switch initializer {
        case .zeros: return [Float](repeating: 0, count: elementCount)
        case .ones: return [Float](repeating: 1, count: elementCount)
        case .truncatedNormal002:
            var out = [Float](repeating: 0, count: elementCount)
            var i = 0
            while i < out.count {
                // Box–Muller: z0 = √(−2 ln u1)·cos(2π u2), z1 = √(−2 ln u1)·sin(2π u2).
                let u1 = rng.nextUnit()
                let u2 = rng.nextUnit()
                let r = (-2 * Foundation.log(u1)).squareRoot()
                for z in [r * Foundation.cos(2 * .pi * u2), r * Foundation.sin(2 * .pi * u2)]
                where abs(z) <= 2 && i < out.count {
                    out[i] = Float(0.02 * z)
                    i += 1
                }
            }
            return out
        }
    }

    /// timm's initialization of each kind of tensor.
    public enum Initializer: String, Sendable {
        /// Truncated normal, std 0.02, cut at ±2 std (linear and patch weights, position embedding, class token).
        case truncatedNormal002
        /// All zeros (biases).
        case zeros
        /// All ones (LayerNorm weights).
        case ones
    }
}

extension ViTArchitecture {
    /// Tensors of one transformer block, names relative to the block (`norm1.weight`, `attn.qkv.weight`, …),
    /// in the order timm's `state_dict()` lists them.
    public var blockTensorSpecs: [TensorSpec] {
        let d = width
        let h = mlpWidth
        var specs: [TensorSpec] = [
            TensorSpec(name: "norm1.weight", shape: [d], initializer: .ones),
            TensorSpec(name: "norm1.bias", shape: [d], initializer: .zeros),
            TensorSpec(name: "attn.qkv.weight", shape: [3 * d, d], initializer: .truncatedNormal002),
        ]
        if qkvBias { specs.append(TensorSpec(name: "attn.qkv.bias", shape: [3 * d], initializer: .zeros)) }
        specs += [
            TensorSpec(name: "attn.proj.weight", shape: [d, d], initializer: .truncatedNormal002),
            TensorSpec(name: "attn.proj.bias", shape: [d], initializer: .zeros),
            TensorSpec(name: "norm2.weight", shape: [d], initializer: .ones),
            TensorSpec(name: "norm2.bias", shape: [d], initializer: .zeros),
            TensorSpec(name: "mlp.fc1.weight", shape: [h, d], initializer: .truncatedNormal002),
            TensorSpec(name: "mlp.fc1.bias", shape: [h], initializer: .zeros),
            TensorSpec(name: "mlp.fc2.weight", shape: [d, h], initializer: .truncatedNormal002),
            TensorSpec(name: "mlp.fc2.bias", shape: [d], initializer: .zeros),
        ]
        return specs
    }

    /// Tensors of block `index` with their full names (`blocks.3.mlp.fc1.weight`).
    public func blockTensorSpecs(index: Int) -> [TensorSpec] {
        blockTensorSpecs.map {
            TensorSpec(name: "blocks.\(index).\($0.name)", shape: $0.shape, initializer: $0.initializer)
        }
    }

    /// Tensors outside the blocks, in lgreg's naming (the final LayerNorm is always `norm`).
    public var sharedTensorSpecs: [TensorSpec] {
        let d = width
        var specs = [
            TensorSpec(
                name: "patch_embed.proj.weight", shape: [d, inChannels, patchSize, patchSize],
                initializer: .truncatedNormal002),
            TensorSpec(name: "patch_embed.proj.bias", shape: [d], initializer: .zeros),
            TensorSpec(name: "pos_embed", shape: [1, tokenCount, d], initializer: .truncatedNormal002),
        ]
        if classToken {
            specs.append(TensorSpec(name: "cls_token", shape: [1, 1, d], initializer: .truncatedNormal002))
        }
        specs += [
            TensorSpec(name: "norm.weight", shape: [d], initializer: .ones),
            TensorSpec(name: "norm.bias", shape: [d], initializer: .zeros),
            TensorSpec(name: "head.weight", shape: [classes, d], initializer: .truncatedNormal002),
            TensorSpec(name: "head.bias", shape: [classes], initializer: .zeros),
        ]
        return specs
    }

    /// Every tensor of a model with `depth` blocks: shared tensors first, then blocks in order.
    public func tensorSpecs(depth: Int) -> [TensorSpec] {
        sharedTensorSpecs + (0..<depth).flatMap { blockTensorSpecs(index: $0) }
    }

    /// The name timm gives an lgreg tensor: `norm.*` becomes `fc_norm.*` under `avg` pooling.
    public func timmName(_ name: String) -> String {
        if pooling == .avg, name.hasPrefix("norm.") { return "fc_" + name }
        return name
    }
}
