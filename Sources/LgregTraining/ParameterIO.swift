import Foundation
import LgregArchitecture
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
            throw TrainingError.shapeMismatch(file: file.path, name: "blocks", expected: [layout.blockCount], actual: [loaded.layout.blockCount])
        }
        parameters.storage.update(from: loaded.storage, count: layout.count)
    }

    /// Fills the parameters as timm initializes a fresh ViT: truncated normal (std 0.02, cut at ±2 std) for
    /// weights, position embedding and class token, zeros for biases, ones for LayerNorm weights. TLEG's θ_B
    /// (`blocks.1`) starts with zero LayerNorm weights so that every layer's LayerNorm starts as θ_A's.
    public func initializeParameters(seed: UInt64) {
        var rng = SplitMix64(seed: seed, stream: .initialization, index: 0)
        for spec in layout.specs {
            let p = parameter(spec.name)
            switch spec.initializer {
            case .zeros: p.update(repeating: 0, count: spec.elementCount)
            case .ones: p.update(repeating: mode == .tleg && spec.name.hasPrefix("blocks.1.") ? 0 : 1, count: spec.elementCount)
            case .truncatedNormal002:
                for i in 0..<spec.elementCount { p[i] = 0.02 * truncatedNormal(&rng) }
            }
        }
    }

    /// The parameters as named tensors (lgreg names, a learngene's stored layers as `blocks.0 … blocks.{M−1}`).
    public func namedParameters() -> [(spec: TensorSpec, values: [Float])] {
        layout.specs.map { spec in (spec, Array(UnsafeBufferPointer(start: parameter(spec.name), count: spec.elementCount))) }
    }
}

/// A standard normal draw rejected outside ±2 (Box–Muller).
private func truncatedNormal(_ rng: inout SplitMix64) -> Float {
    while true {
        let u1 = max(Double(rng.nextUnitFloat()), 1e-12), u2 = Double(rng.nextUnitFloat())
        let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        if abs(z) <= 2 { return Float(z) }
    }
}
