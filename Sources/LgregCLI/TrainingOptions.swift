import ArgumentParser
import Foundation
import LgregTraining
import LgregZoo

/// The options `train` and `finetune` share: optimization, data, output and resumption (each command has its own
/// `--seed`: `finetune` shares it with the Des-Net's strategy).
struct TrainingOptions: ParsableArguments {
    @Option(help: "Passes over the training images.")
    var epochs = 10
    @Option(help: "Images per optimizer step.")
    var batch = 128
    @Option(help: "Peak learning rate of AdamW (default: 5e-4 for train, 5e-5 for finetune).")
    var lr: Float?
    @Option(
        name: .customLong("min-lr"), help: "Floor of the cosine decay (default: 1e-5 for train, 1e-6 for finetune).")
    var minLR: Float?
    @Option(
        name: .customLong("weight-decay"),
        help: "AdamW's decoupled weight decay (never on norms, biases, position embedding, class token).")
    var weightDecay: Float = 0.05
    @Option(
        help: "Epochs of linear warm-up before the cosine decay (default: min(5, epochs/4) for train, 0 for finetune).")
    var warmup: Int?
    @Option(name: .customLong("label-smoothing"), help: "Label smoothing of the cross-entropy term.")
    var labelSmoothing: Float = 0.1
    @Option(
        name: .customLong("drop-path"),
        help: "Drop-path rate of the last layer, growing linearly from 0 at the first (default: 0.1).")
    var dropPath: Float?
    @Option(help: "Clip gradients to this global L2 norm.")
    var clip: Float?
    @Flag(name: .customLong("no-augment"), help: "Train without random crops (padding 4) and horizontal flips.")
    var noAugment = false
    @Option(
        name: .customLong("data-dir"),
        help: "Directory of Fashion-MNIST's gzipped IDX files, replacing /usr/share/datasets/fashion-mnist.")
    var dataDirectory: String?
    @Option(name: .customLong("train-limit"), help: "Train on the first N training images only.")
    var trainLimit: Int?
    @Option(name: .customLong("eval-limit"), help: "Evaluate on the first N test images only.")
    var evalLimit: Int?
    @Option(help: "OpenBLAS threads (default: OpenBLAS's own choice).")
    var threads: Int?
    @Option(
        name: [.customShort("o"), .long],
        help: "Where the result goes (finetune: a loose safetensors file besides, or instead of, the store).")
    var output: String?
    @Option(
        name: .customLong("work-dir"),
        help:
            "Folder for the per-epoch checkpoint and the metrics log (default: OUTPUT.train; finetune into the store: TAG.train, ':' as '_')."
    )
    var workDirectory: String?
    @Flag(
        help: "Continue from the work folder's checkpoint; the run ends with the same weights as an uninterrupted one.")
    var resume = false
    @Option(
        name: .customLong("stop-after"),
        help:
            "Stop after this epoch, leaving the checkpoint for --resume; no result is written (train: 0 with --write-teacher-logits writes the logits alone)."
    )
    var stopAfter: Int?
    @OptionGroup var format: JSONOption

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs).") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch).") }
        if let trainLimit, trainLimit < 1 {
            throw ValidationError("--train-limit must be at least 1, got \(trainLimit).")
        }
        if let evalLimit, evalLimit < 1 { throw ValidationError("--eval-limit must be at least 1, got \(evalLimit).") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        if let stopAfter, stopAfter < 0 { throw ValidationError("--stop-after must be at least 0, got \(stopAfter).") }
    }

    /// The settings these options give (nil where the run's own default applies).
    var settings: TrainingSettings {
        var settings = TrainingSettings()
        settings.epochs = epochs
        settings.batchSize = batch
        settings.learningRate = lr
        settings.minLearningRate = minLR
        settings.weightDecay = weightDecay
        settings.warmupEpochs = warmup
        settings.labelSmoothing = labelSmoothing
        settings.dropPath = dropPath
        settings.clipNorm = clip
        settings.augment = !noAugment
        settings.dataDirectory = dataDirectory
        settings.trainLimit = trainLimit
        settings.evalLimit = evalLimit
        settings.threads = threads
        settings.workDirectory = workDirectory
        settings.resume = resume
        settings.stopAfter = stopAfter
        return settings
    }

    /// Prints a run's outcome: with `--json` its object of `Schemas/train-result.schema.json` (accuracies are
    /// fractions), else one line.
    func render<Outcome: Encodable>(_ outcome: Outcome, summary: @autoclosure () -> String) throws {
        if format.json { try printJSON(outcome) } else { print(summary()) }
    }

    /// The line that says where a run stopped and how to continue it.
    func summary(_ stopped: TrainingStopped) -> String {
        "stopped after epoch \(stopped.stoppedAfter) of \(epochs); continue with --resume "
            + "(checkpoint \(stopped.checkpoint))"
    }
}

/// A one-line progress bar on standard error (epoch, steps, loss, accuracy, images/s), drawn only on a terminal.
enum TrainingProgressBar {
    static func make() -> ((StepProgress) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        return { p in
            let width = 24
            let filled = width * p.step / max(p.steps, 1)
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = String(
                format: "\repoch %d/%d %@ %d/%d loss %.4f acc %.1f%% %.0f img/s", p.epoch, p.epochs, bar, p.step,
                p.steps,
                p.loss, p.accuracy * 100, p.imagesPerSecond)
            FileHandle.standardError.write(Data((line + (p.step == p.steps ? "\n" : "")).utf8))
        }
    }
}
