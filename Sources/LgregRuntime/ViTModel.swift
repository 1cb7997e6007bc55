import LgregArchitecture
import SafeTensors

/// A runnable ViT: parameters plus the layer map that says which stored block each virtual layer runs.
///
/// A plain model maps layer i to block i. A weight-shared Aux-Net stores its M stage blocks once and maps its
/// 16 virtual layers onto them (`[0,0,0,1,1,1,2,2,2,2,3,3,3,4,4,4]` for the schedule 3,3,4,3,3); the blocks
/// are never copied. A Des-Net's cyclic expansion can run the same way straight from a learngene.
public final class ViTModel: @unchecked Sendable {
    /// The architecture, shared by every layer.
    public let architecture: ViTArchitecture
    /// The parameters, with `parameters.layout.blockCount` distinct blocks.
    public let parameters: ViTParameters
    /// Virtual layer i runs block `layerMap[i]`.
    public let layerMap: [Int]

    /// The model's depth: the number of virtual layers.
    public var depth: Int { layerMap.count }

    /// Wraps parameters; `layerMap` defaults to one layer per stored block.
    /// - Throws: `RuntimeError.layerMap` if the map is empty or names a block that does not exist.
    public init(parameters: ViTParameters, layerMap: [Int]? = nil) throws {
        let blocks = parameters.layout.blockCount
        let map = layerMap ?? Array(0..<blocks)
        guard !map.isEmpty, map.allSatisfy({ $0 >= 0 && $0 < blocks }) else {
            throw RuntimeError.layerMap(map: map, blocks: blocks)
        }
        self.architecture = parameters.layout.architecture
        self.parameters = parameters
        self.layerMap = map
    }

    /// Loads weights from a safetensors file (lgreg or timm naming) and wraps them.
    /// - Throws: `SafeTensorsError` for an unreadable file, `RuntimeError` for a missing, misshapen or
    ///   unexpected tensor or a bad layer map.
    public convenience init(path: String, architecture: ViTArchitecture, layerMap: [Int]? = nil) throws {
        let file = try SafeTensorsFile(path: path)
        try self.init(parameters: ViTParameters(file: file, architecture: architecture), layerMap: layerMap)
    }
}
