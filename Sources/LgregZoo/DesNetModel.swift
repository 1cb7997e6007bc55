import LgregResolver
import LgregRuntime
import SafeTensors

extension ViTModel {
    /// A runnable model for a planned Des-Net. When every block copies a learngene layer (cyclic, random-assigned,
    /// explicit, Simple-LG, IMwLM), the model holds the learngene's M layers once and runs them through the
    /// Des-Net's layer map, copying nothing; otherwise (TLEG, Vanilla-LG, scratch) it holds the Des-Net's blocks.
    public convenience init(desNet net: DesNet, source: any LearngeneSource) throws {
        let byName = Dictionary(net.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let label = source.learngeneDigest ?? "learngene"
        func planned(_ name: String) throws -> (storedName: String, shape: [Int], values: [Float])? {
            guard let tensor = byName[name] else { return nil }
            return (name, tensor.shape, try tensor.floats())
        }
        let copies = net.blocks.compactMap(\.sourceLayer)
        guard copies.count == net.depth else {
            try self.init(parameters: try ViTParameters(architecture: net.architecture, blockCount: net.depth, source: label, tensor: planned))
            return
        }
        var layers: [Int: SafeTensorsFile] = [:]
        let parameters = try ViTParameters(architecture: net.architecture, blockCount: source.layerCount, source: label) { name in
            guard name.hasPrefix("blocks.") else { return try planned(name) }
            // ViTParameters asks for `blocks.<index>.<tensor>` with index < layerCount.
            let parts = name.split(separator: ".", maxSplits: 2)
            guard parts.count == 3, let index = Int(parts[1]) else { return nil }
            let relative = String(parts[2])
            let file = try layers[index] ?? source.layerTensors(index)
            layers[index] = file
            guard file.contains(relative) else { return nil }
            return ("layers/\(index).\(relative)", try file.info(relative).shape, try file.floats(relative))
        }
        try self.init(parameters: parameters, layerMap: copies)
    }
}
