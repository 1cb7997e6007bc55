import ArgumentParser
import Foundation
import LgregArchitecture
import LgregCore
import LgregRuntime
import LgregTraining
import SafeTensors

/// `lgreg finetune MODEL.safetensors`: fine-tunes a materialized Des-Net on Fashion-MNIST.
struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tunes a materialized Des-Net (a safetensors model) on Fashion-MNIST.",
        discussion: """
        MODEL is a Des-Net as `lgreg materialize` writes it (lgreg or timm naming, any depth; fc_norm.* means \
        mean-then-norm pooling, cls_token a class token). It is trained as a plain model without distillation, \
        by default with the paper's Des-Net recipe (no warm-up, cosine from 5e-5 to 1e-6), and written as a \
        timm-named safetensors file whose metadata records the configuration and the final test accuracy.
        """)

    @Argument(help: "The Des-Net's weights (.safetensors).")
    var model: String
    @Option(help: "The Des-Net's architecture: a preset name or an architecture JSON file.")
    var arch = "fmnist-tiny"
    @OptionGroup var options: TrainingOptions

    func run() throws {
        let file = try SafeTensorsFile(path: model)
        let architecture = try ArchitectureOptions.parse([arch]).resolve().adapted(toWeights: file)
        let depth = Set(file.tensors.compactMap { $0.name.hasPrefix("blocks.") ? $0.name.split(separator: ".")[1] : nil }).count
        guard depth >= 1 else { throw ValidationError("\(model) holds no blocks.i.* tensors; it is not a ViT.") }
        let data = try options.loadData()
        let config = TrainingConfig(
            mode: .plain, architecture: architecture, schedule: try StageSchedule(Array(repeating: 1, count: depth)),
            epochs: options.epochs, batchSize: options.batch, learningRate: options.lr ?? 5e-5, minLearningRate: options.minLR ?? 1e-6,
            weightDecay: options.weightDecay, warmupEpochs: options.warmup ?? 0, seed: options.seed, labelSmoothing: options.labelSmoothing,
            alpha: 0, tau: 1, dropPath: options.dropPath ?? 0.1, clipNorm: options.clip, augmentation: options.noAugment ? nil : Augmentation(),
            dataset: data.identity, teacher: nil,
            initializedFrom: "\(URL(fileURLWithPath: model).lastPathComponent) \(try Digest.ofFile(URL(fileURLWithPath: model)).digest)")
        do { try config.validate() } catch let error as TrainingError { throw ValidationError(error.description) }
        let trainer = try Trainer(config: config, data: data.train, evalSet: data.test, evalLimit: options.evalLimit, teacher: nil, initialWeights: file)
        let before = try trainer.evaluate()
        try options.prepare(trainer)
        guard try options.run(trainer) else { return }
        let output = URL(fileURLWithPath: options.output)
        try trainer.writeModel(to: output)
        let after = trainer.history.last?.evalAccuracy ?? 0
        let untuned = (before?.top1 ?? 0) / 100
        try options.report(
            ["output": output.path, "depth": depth, "epochs": config.epochs, "untunedAccuracy": untuned, "evalAccuracy": after,
             "metrics": options.metrics.path, "checkpoint": options.checkpoint.path],
            summary: "wrote \(output.path) (depth \(depth)): test top-1 \(String(format: "%.2f", untuned * 100))% untuned → \(String(format: "%.2f", after * 100))% after \(config.epochs) epochs")
    }
}
