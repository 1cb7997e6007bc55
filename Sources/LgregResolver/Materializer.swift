import LgregArchitecture
import SafeTensors

/// Plans a Des-Net from a learngene: which source tensor (or formula, or fresh initializer) fills every
/// tensor of the model. Planning reads only headers and checks every shape; the weights are touched when
/// the plan is written.
///
/// ```swift
/// let net = try Materializer.plan(source, depth: 14, strategy: .cyclic(.named(.frontMidLast)))
/// try TimmExport.write(net, to: URL(fileURLWithPath: "des-b-14"), tool: "lgreg 0.1.0")
/// ```
public enum Materializer {
    /// Plans a Des-Net of `depth` blocks.
    /// - Parameters:
    ///   - strategy: how blocks (and embeddings) are initialized.
    ///   - head: copy the learngene's head, or a fresh one for a new task. Under `.scratch` the head is
    ///     always fresh.
    ///   - classes: the head's classes; the learngene's own by default. A kept head keeps its class count.
    ///   - pooling: the pooling order the Des-Net states (and the export names its final norm by); the
    ///     learngene's own by default.
    ///   - seed: seeds the random-assigned map and every fresh tensor (tensor `name` draws from
    ///     `SplitMix64(seed: seed ^ FNV1a.hash64(name))`).
    ///   - allowDropStages: build depths below the learngene's layer count.
    /// - Throws: `ResolverError` for a strategy that does not fit the source, a missing or misshapen tensor,
    ///   or a kept head whose class count differs from the one asked for.
    public static func plan(
        _ source: any LearngeneSource, depth: Int, strategy: Strategy, head: HeadPolicy = .keep,
        classes: Int? = nil, pooling: Pooling? = nil, seed: UInt64 = 0, allowDropStages: Bool = false
    ) throws -> DesNet {
        try source.validateShape()
        let blocks = try strategy.blocks(source: source, depth: depth, seed: seed, allowDropStages: allowDropStages)
        let learngeneArchitecture = source.architecture
        var architecture = learngeneArchitecture
        if let pooling { architecture.pooling = pooling }
        if let classes {
            if head == .keep, classes != learngeneArchitecture.classes {
                throw ResolverError.headClassMismatch(learngene: learngeneArchitecture.classes, requested: classes)
            }
            architecture.classes = classes
        }
        let copyHead = head == .keep && strategy != .scratch
        try architecture.validate()

        let shared = try source.sharedTensors()
        // Source specs are checked against the learngene's own architecture (its head size).
        let sourceShared = Dictionary(
            uniqueKeysWithValues: learngeneArchitecture.sharedTensorSpecs.map { ($0.name, $0) })
        let patchWeight = sourceShared["patch_embed.proj.weight"]!
        // Fresh tensors take the learngene's floating-point type.
        let dtype = try check(shared, tensor: patchWeight.name, shape: patchWeight.shape).dtype
        func fresh(_ spec: TensorSpec) -> DesNetTensor {
            DesNetTensor(
                name: spec.name, shape: spec.shape, dtype: dtype,
                content: .fresh(spec, seed: seed ^ FNV1a.hash64(spec.name)))
        }
        func copied(_ spec: TensorSpec, from file: SafeTensorsFile, tensor: String, expected: TensorSpec) throws
            -> DesNetTensor
        {
            let info = try check(file, tensor: tensor, shape: expected.shape)
            return DesNetTensor(
                name: spec.name, shape: spec.shape, dtype: info.dtype, content: .copy(file, tensor: tensor))
        }
        func sharedTensor(_ spec: TensorSpec, copy: Bool) throws -> DesNetTensor {
            copy ? try copied(spec, from: shared, tensor: spec.name, expected: sourceShared[spec.name]!) : fresh(spec)
        }

        var tensors: [DesNetTensor] = []
        let sharedSpecs = architecture.sharedTensorSpecs
        for name in embeddingOrder {
            if let spec = sharedSpecs.first(where: { $0.name == name }) {
                tensors.append(try sharedTensor(spec, copy: strategy.copiesEmbeddings))
            }
        }
        var layerFiles: [Int: SafeTensorsFile] = [:]
        func layer(_ index: Int) throws -> SafeTensorsFile {
            if let file = layerFiles[index] { return file }
            let file = try source.layerTensors(index)
            layerFiles[index] = file
            return file
        }
        let blockSpecs = architecture.blockTensorSpecs
        for (index, block) in blocks.enumerated() {
            for (relative, spec) in zip(blockSpecs, architecture.blockTensorSpecs(index: index)) {
                switch block {
                case .layer(let m):
                    tensors.append(try copied(spec, from: try layer(m), tensor: relative.name, expected: relative))
                case .interpolated(let factor):
                    let a = try layer(0)
                    let b = try layer(1)
                    let info = try check(a, tensor: relative.name, shape: relative.shape)
                    _ = try check(b, tensor: relative.name, shape: relative.shape)
                    tensors.append(
                        DesNetTensor(
                            name: spec.name, shape: spec.shape, dtype: info.dtype,
                            content: .interpolated(a: a, b: b, tensor: relative.name, factor: Float(factor))))
                case .fresh:
                    tensors.append(fresh(spec))
                }
            }
        }
        for spec in sharedSpecs where spec.name.hasPrefix("norm.") {
            tensors.append(try sharedTensor(spec, copy: strategy != .scratch))
        }
        for spec in sharedSpecs where spec.name.hasPrefix("head.") {
            tensors.append(try sharedTensor(spec, copy: copyHead))
        }

        let lineage = Lineage(
            learngeneDigest: source.learngeneDigest, learngeneKind: source.kind, strategy: strategy.kind,
            order: strategy.orderDescription,
            seed: strategy.usesSeed || !copyHead ? seed : nil,
            layerMap: blocks.map(\.sourceLayer), head: copyHead ? .keep : .new)
        return DesNet(architecture: architecture, depth: depth, blocks: blocks, lineage: lineage, tensors: tensors)
    }

    /// The entry of `tensor`, checked to exist with `shape` and a floating-point dtype.
    /// Embeddings in the order timm's state_dict() lists them: the model's own parameters, then patch_embed.
    private static let embeddingOrder = ["cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias"]

    /// A Des-Net whose every tensor is read as it is from `weights` (lgreg names): tuned weights, to be exported or
    /// run as they were trained. Tensors come in the order `plan` gives them.
    /// - Throws: `ResolverError.tensorMismatch` naming a tensor that is missing, of another shape or not expected.
    public static func trained(_ weights: SafeTensorsFile, architecture: ViTArchitecture, depth: Int, lineage: Lineage)
        throws -> DesNet
    {
        let shared = architecture.sharedTensorSpecs
        let specs =
            embeddingOrder.compactMap { name in shared.first { $0.name == name } }
            + (0..<depth).flatMap { architecture.blockTensorSpecs(index: $0) }
            + shared.filter { $0.name.hasPrefix("norm.") } + shared.filter { $0.name.hasPrefix("head.") }
        let tensors = try specs.map { spec in
            DesNetTensor(
                name: spec.name, shape: spec.shape,
                dtype: try check(weights, tensor: spec.name, shape: spec.shape).dtype,
                content: .copy(weights, tensor: spec.name))
        }
        let expected = Set(specs.map(\.name))
        if let extra = weights.tensors.map(\.name).first(where: { !expected.contains($0) }) {
            throw ResolverError.invalidFile(
                path: weights.path, field: extra, reason: "is not a tensor of a depth-\(depth) ViT of this architecture"
            )
        }
        let blocks =
            lineage.layerMap.count == depth
            ? lineage.layerMap.map { $0.map(BlockInit.layer) ?? .fresh } : Array(repeating: .fresh, count: depth)
        return DesNet(architecture: architecture, depth: depth, blocks: blocks, lineage: lineage, tensors: tensors)
    }

    private static func check(_ file: SafeTensorsFile, tensor: String, shape: [Int]) throws -> TensorInfo {
        guard file.contains(tensor) else {
            throw ResolverError.tensorMismatch(file: file.path, tensor: tensor, expected: shape, found: nil)
        }
        let info = try file.info(tensor)
        guard info.shape == shape else {
            throw ResolverError.tensorMismatch(file: file.path, tensor: tensor, expected: shape, found: info.shape)
        }
        guard info.dtype.isFloatingPoint else {
            throw ResolverError.unsupportedDType(file: file.path, tensor: tensor, dtype: info.dtype.rawValue)
        }
        return info
    }
}

/// FNV-1a, the hash that gives every fresh tensor its own seed and an explicit map's Des-Net tag its suffix.
public enum FNV1a {
    /// FNV-1a, 64 bits, of a string's UTF-8: h ← (h ⊕ byte)·0x100000001B3 from h = 0xCBF29CE484222325.
    public static func hash64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }
}
