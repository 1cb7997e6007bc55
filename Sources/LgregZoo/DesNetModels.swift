import LgregArchitecture
import LgregResolver
import LgregRuntime
import SafeTensors

/// Runnable models for the Des-Nets planned from one learngene, built so that they share what they can: every
/// Des-Net whose blocks all copy learngene layers (cyclic, random-assigned, explicit, Simple-LG, IMwLM, the
/// trained network) runs the learngene's M layers, loaded once per architecture, through its own layer map, so
/// `PrefixTreeEvaluation` can share their embedding and common prefixes. Other Des-Nets (TLEG, Vanilla-LG,
/// scratch) get parameters of their own.
public final class DesNetModels {
    /// The learngene the Des-Nets are planned from.
    public let source: any LearngeneSource
    private var learngeneLayers: [ViTArchitecture: ViTParameters] = [:]

    public init(source: any LearngeneSource) { self.source = source }

    /// A runnable model of `net`, which must have been planned from `source`.
    public func model(for net: DesNet) throws -> ViTModel {
        let byName = Dictionary(net.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let label = source.learngeneDigest ?? "learngene"
        func planned(_ name: String) throws -> (storedName: String, shape: [Int], values: [Float])? {
            guard let tensor = byName[name] else { return nil }
            return (name, tensor.shape, try tensor.floats())
        }
        let copies = net.blocks.compactMap(\.sourceLayer)
        guard copies.count == net.depth, net.lineage.head == .keep else {
            return try ViTModel(
                parameters: try ViTParameters(
                    architecture: net.architecture, blockCount: net.depth, source: label, tensor: planned))
        }
        if let loaded = learngeneLayers[net.architecture] { return try ViTModel(parameters: loaded, layerMap: copies) }
        // Only the layer being read is held: ViTParameters asks for the blocks in order, and each layer's floats
        // are copied out before the next file is opened.
        var layer: (index: Int, file: SafeTensorsFile)?
        let parameters = try ViTParameters(architecture: net.architecture, blockCount: source.layerCount, source: label)
        { name in
            guard name.hasPrefix("blocks.") else { return try planned(name) }
            // ViTParameters asks for `blocks.<index>.<tensor>` with index < layerCount.
            let parts = name.split(separator: ".", maxSplits: 2)
            guard parts.count == 3, let index = Int(parts[1]) else { return nil }
            let relative = String(parts[2])
            let file = try layer.flatMap { $0.index == index ? $0.file : nil } ?? source.layerTensors(index)
            layer = (index, file)
            guard file.contains(relative) else { return nil }
            return ("layers/\(index).\(relative)", try file.info(relative).shape, try file.floats(relative))
        }
        learngeneLayers[net.architecture] = parameters
        return try ViTModel(parameters: parameters, layerMap: copies)
    }
}

extension ViTModel {
    /// A runnable model for a planned Des-Net (see `DesNetModels`): a copy strategy runs the learngene's layers
    /// through its layer map, copying nothing.
    public convenience init(desNet net: DesNet, source: any LearngeneSource) throws {
        let model = try DesNetModels(source: source).model(for: net)
        try self.init(parameters: model.parameters, layerMap: model.layerMap)
    }
}
