import Foundation
import LgregArchitecture
import SafeTensors

/// Random learngenes for scale tests and examples (`lgreg init --random`): every tensor initialized as timm
/// does (`TensorSpec.initializer`), deterministically from a seed, and marked untrained.
public enum RandomLearngene {
    /// The model file of a random learngene: shared tensors, then `blocks.0…M-1`, full names, F32, drawn in
    /// that order from one `SplitMix64` stream seeded with `seed`.
    public static func model(architecture: ViTArchitecture, layers: Int, seed: UInt64) throws -> Data {
        var rng = SplitMix64(seed: seed)
        var writer = SafeTensorsWriter()
        for spec in architecture.tensorSpecs(depth: layers) {
            try writer.add(spec.name, shape: spec.shape, floats: values(spec, &rng))
        }
        return try writer.serialized()
    }

    /// The values of one tensor: zeros, ones, or a normal with σ = 0.02 truncated to ±2σ (a draw outside is
    /// redrawn, which is the distribution `torch.nn.init.trunc_normal_(std=0.02, a=-0.04, b=0.04)` samples).
    public static func values(_ spec: TensorSpec, _ rng: inout SplitMix64) -> [Float] {
        switch spec.initializer {
        case .zeros: return [Float](repeating: 0, count: spec.elementCount)
        case .ones: return [Float](repeating: 1, count: spec.elementCount)
        case .truncatedNormal002:
            var out = [Float](repeating: 0, count: spec.elementCount)
            var i = 0
            while i < out.count {
                // Box–Muller: z0 = √(−2 ln u1)·cos(2π u2), z1 = √(−2 ln u1)·sin(2π u2).
                let u1 = rng.nextUnit(), u2 = rng.nextUnit()
                let r = (-2 * Foundation.log(u1)).squareRoot()
                for z in [r * Foundation.cos(2 * .pi * u2), r * Foundation.sin(2 * .pi * u2)] where abs(z) <= 2 && i < out.count {
                    out[i] = Float(0.02 * z)
                    i += 1
                }
            }
            return out
        }
    }

    /// Writes an untrained random learngene archive of `kind` for `schedule` and returns its manifest.
    @discardableResult
    public static func write(name: String, version: String, kind: LearngeneManifest.Kind, architecture: ViTArchitecture,
                             schedule: StageSchedule, seed: UInt64, toolVersion: String, to url: URL) throws -> LearngeneManifest {
        let template = LearngeneManifest(
            name: name, version: version,
            description: "Random \(kind.rawValue) learngene (untrained, seed \(seed)) for scale tests and examples",
            license: "Apache-2.0", kind: kind, architecture: architecture, schedule: schedule, dtype: .f32,
            provenance: .init(trained: false, toolVersion: toolVersion, seed: Int(seed)))
        let data = try model(architecture: architecture, layers: template.expectedLayerCount, seed: seed)
        let model = try SafeTensorsFile(data: data, label: "random model")
        return try LearngeneArchive.pack(template: template, model: model, to: url)
    }
}

/// Steele, Lea and Flood's SplitMix64: x += 0x9E3779B97F4A7C15, then two xor-shift-multiply rounds.
/// Small, fast and the same on every platform, so a seed names one learngene everywhere.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in (0, 1]: the top 53 bits, plus one, over 2⁵³.
    public mutating func nextUnit() -> Double { Double((next() >> 11) + 1) / 9_007_199_254_740_992 }
}
