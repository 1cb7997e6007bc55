import LgregArchitecture
import SafeTensors

/// Where each tensor of a ViT lives in one flat `Float` buffer: shared tensors, then `blockCount` blocks,
/// in `ViTArchitecture.tensorSpecs(depth:)` order, under lgreg's names (`norm.*`, never `fc_norm.*`).
///
/// A gradient or optimizer-moment buffer of `count` floats uses the same offsets as the parameters.
public struct ParameterLayout: Equatable, Sendable {
    /// The architecture the tensors belong to.
    public let architecture: ViTArchitecture
    /// Distinct blocks stored (M for a weight-shared Aux-Net, the depth for a plain model).
    public let blockCount: Int
    /// Every tensor, in buffer order.
    public let specs: [TensorSpec]
    /// Offset of each tensor's first element, by name.
    public let offsets: [String: Int]
    /// Floats in the whole buffer.
    public let count: Int

    public init(architecture: ViTArchitecture, blockCount: Int) {
        self.architecture = architecture
        self.blockCount = blockCount
        specs = architecture.tensorSpecs(depth: blockCount)
        var offsets: [String: Int] = [:]
        var next = 0
        for spec in specs {
            offsets[spec.name] = next
            next += spec.elementCount
        }
        self.offsets = offsets
        count = next
    }

    /// Offset of tensor `name`; a name outside the layout is a programming error.
    public func offset(_ name: String) -> Int {
        guard let offset = offsets[name] else { preconditionFailure("no tensor '\(name)' in the parameter layout") }
        return offset
    }
}

/// A ViT's parameters in one flat allocation laid out by a `ParameterLayout`, owned by this object.
public final class ViTParameters: @unchecked Sendable {
    /// Where each tensor lives.
    public let layout: ParameterLayout
    /// `layout.count` floats.
    public let storage: UnsafeMutablePointer<Float>

    /// Zero-filled parameters.
    public init(layout: ParameterLayout) {
        self.layout = layout
        storage = .allocate(capacity: max(layout.count, 1))
        storage.initialize(repeating: 0, count: max(layout.count, 1))
    }

    deinit { storage.deallocate() }

    /// Reads every tensor of `architecture` from a safetensors file in lgreg or timm naming (`fc_norm.*` is
    /// read as `norm.*`), with as many blocks as the file holds (`blocks.0` … `blocks.{M-1}`). Floating-point
    /// tensors of any stored precision are widened to `Float`.
    /// - Throws: `RuntimeError` naming the file and the tensor that is missing, misshapen or unexpected.
    public convenience init(file: SafeTensorsFile, architecture: ViTArchitecture) throws {
        var indices = Set<Int>()
        for tensor in file.tensors where tensor.name.hasPrefix("blocks.") {
            let parts = tensor.name.split(separator: ".", maxSplits: 2)
            guard parts.count == 3, let index = Int(parts[1]) else {
                throw RuntimeError.unexpectedTensor(file: file.path, name: tensor.name)
            }
            indices.insert(index)
        }
        let sorted = indices.sorted()
        guard !sorted.isEmpty, sorted == Array(0..<sorted.count) else {
            throw RuntimeError.blockIndices(file: file.path, found: sorted)
        }
        var used = Set<String>()
        try self.init(architecture: architecture, blockCount: sorted.count, source: file.path) { name in
            let candidates = name.hasPrefix("norm.") ? [name, "fc_" + name] : [name]
            guard let stored = candidates.first(where: { file.contains($0) }) else { return nil }
            used.insert(stored)
            return (stored, try file.info(stored).shape, try file.floats(stored))
        }
        if let extra = file.tensors.first(where: { !used.contains($0.name) }) {
            throw RuntimeError.unexpectedTensor(file: file.path, name: extra.name)
        }
    }

    /// Fills every tensor of an architecture with `blockCount` blocks from `tensor`, which returns, for an
    /// lgreg name, the name it was stored under, its shape and its values (or nil when it has none). A learngene
    /// source, a materialized Des-Net or a test builds parameters this way.
    /// - Throws: `RuntimeError.missingTensor` / `.tensorShape` naming `source`, or what `tensor` throws.
    public convenience init(
        architecture: ViTArchitecture, blockCount: Int, source: String,
        tensor: (String) throws -> (storedName: String, shape: [Int], values: [Float])?
    ) throws {
        self.init(layout: ParameterLayout(architecture: architecture, blockCount: blockCount))
        for spec in layout.specs {
            guard let (stored, shape, values) = try tensor(spec.name) else {
                throw RuntimeError.missingTensor(file: source, name: spec.name)
            }
            // timm stores the class token [1, 1, d] and position embedding [1, T, d]; accept them without the 1s.
            guard shape.filter({ $0 != 1 }) == spec.shape.filter({ $0 != 1 }), values.count == spec.elementCount else {
                throw RuntimeError.tensorShape(file: source, name: stored, expected: spec.shape, actual: shape)
            }
            (storage + layout.offset(spec.name)).update(from: values, count: values.count)
        }
    }

    /// Pointer to the first element of tensor `name` (lgreg naming).
    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> { storage + layout.offset(name) }

    /// The tensors of block `index`, as pointers into `storage`.
    public func block(_ index: Int) -> BlockParameters { layout.block(index, in: storage) }
}

extension ParameterLayout {
    /// The tensors of block `index` inside `base`, a buffer of `count` floats in this layout (the parameters,
    /// or a gradient buffer laid out like them).
    public func block(_ index: Int, in base: UnsafeMutablePointer<Float>) -> BlockParameters {
        precondition(index >= 0 && index < blockCount, "block \(index) outside 0..<\(blockCount)")
        let prefix = "blocks.\(index)."
        func at(_ name: String) -> UnsafeMutablePointer<Float> { base + offset(prefix + name) }
        return BlockParameters(
            norm1Weight: at("norm1.weight"), norm1Bias: at("norm1.bias"),
            qkvWeight: at("attn.qkv.weight"), qkvBias: architecture.qkvBias ? at("attn.qkv.bias") : nil,
            projWeight: at("attn.proj.weight"), projBias: at("attn.proj.bias"),
            norm2Weight: at("norm2.weight"), norm2Bias: at("norm2.bias"),
            fc1Weight: at("mlp.fc1.weight"), fc1Bias: at("mlp.fc1.bias"),
            fc2Weight: at("mlp.fc2.weight"), fc2Bias: at("mlp.fc2.bias"))
    }
}

/// Pointers to one transformer block's tensors inside a flat parameter (or gradient) buffer.
/// Shapes, with d the width and h the MLP width: norms [d]; qkv weight [3d, d], bias [3d]; proj [d, d], [d];
/// fc1 [h, d], [h]; fc2 [d, h], [d].
public struct BlockParameters {
    public let norm1Weight, norm1Bias: UnsafeMutablePointer<Float>
    public let qkvWeight: UnsafeMutablePointer<Float>
    public let qkvBias: UnsafeMutablePointer<Float>?
    public let projWeight, projBias: UnsafeMutablePointer<Float>
    public let norm2Weight, norm2Bias: UnsafeMutablePointer<Float>
    public let fc1Weight, fc1Bias: UnsafeMutablePointer<Float>
    public let fc2Weight, fc2Bias: UnsafeMutablePointer<Float>
}
