import Foundation
import LgregArchitecture
import SafeTensors

@testable import LgregResolver

/// A learngene built in memory: every value is distinct and encodes where it came from, so a test can tell
/// which source tensor a Des-Net tensor was copied from.
struct MemorySource: LearngeneSource {
    var architecture: ViTArchitecture
    var kind: LearngeneKind
    var schedule: StageSchedule?
    var learngeneDigest: String? = "sha256:" + String(repeating: "ab", count: 32)
    var shared: SafeTensorsFile
    var layers: [SafeTensorsFile]

    var layerCount: Int { layers.count }
    func sharedTensors() throws -> SafeTensorsFile { shared }
    func layerTensors(_ index: Int) throws -> SafeTensorsFile { layers[index] }

    /// A small ViT: 8×8×1 images, 4×4 patches (4 tokens), width 8, 2 heads, 3 classes.
    static let tiny = ViTArchitecture(
        imageSize: 8, patchSize: 4, inChannels: 1, width: 8, heads: 2, classes: 3,
        classToken: false, pooling: .avgNormFirst)

    /// The value of element `i` of tensor number `t` in layer `layer` (layer −1: shared tensors).
    static func value(layer: Int, tensor t: Int, element i: Int) -> Float {
        Float(layer + 1) * 100 + Float(t) + Float(i % 997) / 1000
    }

    static func file(
        _ specs: [TensorSpec], layer: Int, label: String, dtype: DType = .f32,
        values: ((Int, Int) -> Float)? = nil
    ) throws -> SafeTensorsFile {
        var writer = SafeTensorsWriter()
        for (t, spec) in specs.enumerated() {
            let floats = (0..<spec.elementCount).map { values?(t, $0) ?? value(layer: layer, tensor: t, element: $0) }
            try writer.add(spec.name, shape: spec.shape, floats: floats, as: dtype)
        }
        return try SafeTensorsFile(data: try writer.serialized(), label: label)
    }

    /// A source of `layers` layers of `kind`, values per `value(layer:tensor:element:)`.
    static func make(
        kind: LearngeneKind, layers: Int, schedule: StageSchedule? = nil,
        architecture: ViTArchitecture = tiny, dtype: DType = .f32
    ) throws -> MemorySource {
        MemorySource(
            architecture: architecture, kind: kind, schedule: schedule,
            shared: try file(architecture.sharedTensorSpecs, layer: -1, label: "shared.safetensors", dtype: dtype),
            layers: try (0..<layers).map {
                try file(architecture.blockTensorSpecs, layer: $0, label: "layer-\($0).safetensors", dtype: dtype)
            })
    }
}

extension DesNet {
    /// The tensor called `name`.
    func tensor(_ name: String) -> DesNetTensor { tensors.first { $0.name == name }! }

    /// The bytes of `name`.
    func bytes(_ name: String) throws -> [UInt8] { try tensor(name).withBytes { Array($0) } }
}

extension SafeTensorsFile {
    /// A copy of the bytes of `name`.
    func copy(_ name: String) throws -> [UInt8] { Array(try bytes(name)) }
}
