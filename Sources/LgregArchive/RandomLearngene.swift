import Foundation
import LgregArchitecture
import LgregCore
import SafeTensors

/// Random learngenes for scale tests and examples (`lgreg init --random`): every tensor initialized as timm
/// does (`TensorSpec.initialValues(using:)`), deterministically from a seed, and marked untrained.
public enum RandomLearngene {
    /// The model file of a random learngene: shared tensors, then `blocks.0…M-1`, full names, F32, drawn in
    /// that order from one `SplitMix64` stream seeded with `seed`.
    public static func model(architecture: ViTArchitecture, layers: Int, seed: UInt64) throws -> Data {
        var rng = SplitMix64(seed: seed)
        var writer = SafeTensorsWriter()
        for spec in architecture.tensorSpecs(depth: layers) {
            try writer.add(spec.name, shape: spec.shape, floats: spec.initialValues(using: &rng))
        }
        return try writer.serialized()
    }

    /// Writes an untrained random learngene archive of `kind` for `schedule` and returns its manifest.
    @discardableResult
    public static func write(
        name: String, version: String, kind: LearngeneManifest.Kind, architecture: ViTArchitecture,
        schedule: StageSchedule, seed: UInt64, toolVersion: String, to url: URL
    ) throws -> LearngeneManifest {
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
