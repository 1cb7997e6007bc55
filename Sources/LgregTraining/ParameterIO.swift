import Foundation
import LgregArchitecture
import SafeTensors

extension TrainingModel {
    /// Copies every tensor of the layout from `file`, which names them as lgreg does (timm's `fc_norm.*` is
    /// accepted for `norm.*`); the head may be skipped to start a new task with the fresh head already in place.
    /// - Throws: `TrainingError.missingTensor` or `.shapeMismatch` naming the file and tensor.
    public func loadParameters(from file: SafeTensorsFile, skipHead: Bool = false) throws {
        for spec in layout.tensors {
            if skipHead && spec.name.hasPrefix("head.") { continue }
            let name = !file.contains(spec.name) && spec.name.hasPrefix("norm.") ? "fc_" + spec.name : spec.name
            guard file.contains(name) else {
                throw TrainingError.missingTensor(file: file.path, name: spec.name)
            }
            let info = try file.info(name)
            guard info.shape == spec.shape else {
                throw TrainingError.shapeMismatch(file: file.path, name: name, expected: spec.shape, actual: info.shape)
            }
            let values = try file.floats(name)
            parameter(spec.name).update(from: values, count: values.count)
        }
    }

    /// Fills the parameters as timm initializes a fresh ViT: truncated normal (std 0.02, cut at ±2 std) for
    /// weights, position embedding and class token, zeros for biases, ones for LayerNorm weights. TLEG's θ_B
    /// (`blocks.1`) starts with zero LayerNorm weights so that every layer's LayerNorm starts as θ_A's.
    public func initializeParameters(seed: UInt64) {
        var rng = SeededGenerator(seed: seed, stream: SeededGenerator.Stream.initialization.rawValue, index: 0)
        for spec in layout.tensors {
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
        layout.tensors.map { spec in (spec, Array(UnsafeBufferPointer(start: parameter(spec.name), count: spec.elementCount))) }
    }
}

/// A standard normal draw rejected outside ±2 (Box–Muller).
private func truncatedNormal(_ rng: inout SeededGenerator) -> Float {
    while true {
        let u1 = max(Double(rng.nextUnitFloat()), 1e-12), u2 = Double(rng.nextUnitFloat())
        let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        if abs(z) <= 2 { return Float(z) }
    }
}
