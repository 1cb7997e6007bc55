import ArgumentParser
import Foundation
import LgregRuntime
import LgregZoo
import SafeTensors

extension EvalCommand {
    /// Evaluates `models` as `DesNetEvaluation` does; with --logits, the one model alone, its logits written to
    /// that file as the images pass.
    func evaluate(_ models: [ViTModel], on dataSet: ImageDataSet, settings: EvaluationSettings, label: String)
        throws -> [EvalRow]
    {
        guard let logits else {
            return try DesNetEvaluation.evaluate(models, on: dataSet, settings: settings, label: label)
        }
        guard let model = models.first, models.count == 1 else {
            throw ValidationError("--logits writes one model's logits; give one --depth, not \(models.count).")
        }
        var values: [Float] = []
        let result = try Evaluation.run(
            ViTRunner(model: model, maxBatch: settings.batchSize), on: dataSet, limit: settings.limit,
            progress: settings.progress(label), logits: { values.append(contentsOf: $0) })
        var writer = SafeTensorsWriter()
        writer.metadata = ["format": "lgreg-logits", "format_version": "1", "data": dataSet.source]
        try writer.add("logits", shape: [result.images, model.architecture.classes], floats: values)
        try writer.write(to: URL(fileURLWithPath: logits))
        return [EvalRow(depth: model.depth, layerMap: model.layerMap, result: result)]
    }
}
