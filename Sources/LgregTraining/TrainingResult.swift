import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import SafeTensors

/// What a finished run is published as.
public struct LearngeneIdentity: Sendable {
    public var name: String, version: String, license: String, description: String

    public init(name: String, version: String, license: String, description: String) {
        self.name = name
        self.version = version
        self.license = license
        self.description = description
    }
}

extension Trainer {
    /// The trained weights as a safetensors file in memory: lgreg names, or timm's (`fc_norm.*` under `avg`
    /// pooling) for a Des-Net that timm should load; each tensor as `dtype` (F16 and BF16 round to nearest even).
    public func weightsFile(timmNames: Bool = false, metadata: [String: String] = [:], dtype: DType = .f32) throws
        -> Data
    {
        var writer = SafeTensorsWriter(metadata: metadata)
        for (spec, values) in model.namedParameters() {
            try writer.add(
                timmNames ? config.architecture.timmName(spec.name) : spec.name, shape: spec.shape, floats: values,
                as: dtype)
        }
        return try writer.serialized()
    }

    /// Packs the stored layers as a `.lgz` learngene (the store's archive format) whose manifest records the
    /// provenance and the final evaluation accuracy.
    @discardableResult
    public func packLearngene(to url: URL, identity: LearngeneIdentity, toolVersion: String, evalSet: String?) throws
        -> LearngeneManifest
    {
        // The archive records a TLEG Aux-Net (and a plain model) as L stages of one layer.
        let schedule =
            config.mode == .sws ? config.schedule : try StageSchedule(Array(repeating: 1, count: config.schedule.depth))
        var results: [LearngeneManifest.DeclaredResult] = []
        // Declared only when measured on the whole evaluation set, since `lgreg verify` re-measures on all of it.
        if let evalSet, let last = history.last, let top1 = last.evalAccuracy, !evaluationIsLimited {
            results.append(
                .init(
                    depth: config.schedule.depth, strategy: LearngeneManifest.DeclaredResult.trainedNetwork,
                    tunedEpochs: 0, evalSet: evalSet, top1: top1, loss: last.evalLoss))
        }
        let provenance = LearngeneManifest.Provenance(
            trained: true, toolVersion: toolVersion, ancestry: config.teacher, dataset: config.dataset.name,
            epochs: config.epochs,
            alpha: config.alpha > 0 ? Double(config.alpha) : nil, tau: config.alpha > 0 ? Double(config.tau) : nil,
            seed: Int(truncatingIfNeeded: config.seed))
        let template = LearngeneManifest(
            name: identity.name, version: identity.version, description: identity.description,
            license: identity.license,
            kind: config.mode, architecture: config.architecture, schedule: schedule,
            dtype: .f32, provenance: provenance, results: results)
        let model = try SafeTensorsFile(data: try weightsFile(), label: "trained weights")
        return try LearngeneArchive.pack(template: template, model: model, to: url)
    }

    /// Writes the weights as a timm-named safetensors file whose metadata carries the training configuration
    /// (`lgreg.training-config`) and the last epoch's metrics (`lgreg.metrics`).
    public func writeModel(to url: URL, dtype: DType = .f32) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var metadata = ["format": "pt", "lgreg.training-config": String(decoding: try config.encoded(), as: UTF8.self)]
        if let last = history.last {
            metadata["lgreg.metrics"] = String(decoding: try encoder.encode(last), as: UTF8.self)
        }
        let data = try weightsFile(timmNames: true, metadata: metadata, dtype: dtype)
        do { try AtomicFileWriter.write(data, to: url) } catch let error as FileSystemError {
            throw TrainingError.io(path: url.path, reason: "cannot write the model: \(error.reason)")
        }
    }
}
