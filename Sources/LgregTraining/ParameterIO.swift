import Foundation
import LgregArchitecture
import LgregCore
import LgregRuntime
import SafeTensors

extension TrainingModel {
    /// Copies every tensor from `file` (lgreg or timm naming, read by the runtime's loader), which must hold
    /// exactly this model's stored layers.
    /// - Throws: the runtime's loading errors, or `TrainingError.shapeMismatch` when the file holds another
    ///   number of blocks.
    public func loadParameters(from file: SafeTensorsFile) throws {
        let loaded = try ViTParameters(file: file, architecture: layout.architecture)
        guard loaded.layout == layout else {
            throw TrainingError.shapeMismatch(
                file: file.path, name: "blocks", expected: [layout.blockCount], actual: [loaded.layout.blockCount])
        }
        parameters.storage.update(from: loaded.storage, count: layout.count)
    }

    /// Fills the parameters as timm initializes a fresh ViT, with the archive module's seeded initializer
    /// (truncated normal σ = 0.02 for weights, position embedding and class token; zeros for biases; ones for
    /// LayerNorm weights). TLEG's θ_B (`blocks.1`) starts with zero LayerNorm weights so that every layer's
    /// LayerNorm starts as θ_A's.
    public func initializeParameters(seed: UInt64) {
        var rng = SplitMix64(seed: seed, stream: .initialization, index: 0)
        for spec in layout.specs {
            var values = spec.initialValues(using: &rng)
            if mode == .tleg && spec.name.hasPrefix("blocks.1.") && spec.initializer == .ones {
                values = [Float](repeating: 0, count: spec.elementCount)
            }
            parameter(spec.name).update(from: values, count: values.count)
        }
    }

    /// The parameters as named tensors (lgreg names, a learngene's stored layers as `blocks.0 … blocks.{M−1}`).
    public func namedParameters() -> [(spec: TensorSpec, values: [Float])] {
        layout.specs.map { spec in
            (spec, Array(UnsafeBufferPointer(start: parameter(spec.name), count: spec.elementCount)))
        }
    }
}
