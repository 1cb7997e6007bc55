import Foundation
import LgregArchitecture
import LgregArchive
import LgregRuntime
import LgregTraining
import SafeTensors

/// What `train` and `finetune` share: the optimizer's settings (nil: the default of the run, from scratch or
/// fine-tuning), the Fashion-MNIST data, and the work folder that holds the checkpoint and the metrics log.
public struct TrainingSettings: Sendable {
    /// Passes over the training images.
    public var epochs = 10
    /// Images per optimizer step.
    public var batchSize = 128
    /// Peak learning rate of AdamW (default: 5e-4 from scratch, 5e-5 fine-tuning).
    public var learningRate: Float?
    /// Floor of the cosine decay (default: 1e-5 from scratch, 1e-6 fine-tuning).
    public var minLearningRate: Float?
    /// AdamW's decoupled weight decay.
    public var weightDecay: Float = 0.05
    /// Epochs of linear warm-up (default: min(5, epochs/4) from scratch, 0 fine-tuning).
    public var warmupEpochs: Int?
    /// Label smoothing of the cross-entropy term.
    public var labelSmoothing: Float = 0.1
    /// Drop-path rate of the last layer (default 0.1).
    public var dropPath: Float?
    /// Clip gradients to this global L2 norm.
    public var clipNorm: Float?
    /// Random crops (padding 4) and horizontal flips.
    public var augment = true
    /// Folder of Fashion-MNIST's gzipped IDX files (default `FashionMNIST.defaultDirectory`).
    public var dataDirectory: String?
    /// Train on the first N training images only.
    public var trainLimit: Int?
    /// Evaluate after each epoch on the first N test images only.
    public var evalLimit: Int?
    /// OpenBLAS threads (default: OpenBLAS's own choice).
    public var threads: Int?
    /// Folder of the checkpoint and the metrics log (default: each command's, from its output or tag).
    public var workDirectory: String?
    /// Continue from the work folder's checkpoint.
    public var resume = false
    /// Stop after this epoch, leaving the checkpoint for `resume`.
    public var stopAfter: Int?

    public init() {}

    /// The training configuration of these settings, each unset optimizer setting taken from the run's defaults.
    /// - Throws: `TrainingError.invalidOption` naming the setting out of range.
    func configuration(
        mode: LearngeneManifest.Kind, architecture: ViTArchitecture, schedule: StageSchedule,
        defaults: Defaults, seed: UInt64, alpha: Float = 0, tau: Float = 1, dataset: DatasetIdentity,
        teacher: String? = nil, initializedFrom: String? = nil
    ) throws -> TrainingConfig {
        let config = TrainingConfig(
            mode: mode, architecture: architecture, schedule: schedule, epochs: epochs, batchSize: batchSize,
            learningRate: learningRate ?? defaults.learningRate,
            minLearningRate: minLearningRate ?? defaults.minLearningRate, weightDecay: weightDecay,
            warmupEpochs: warmupEpochs ?? defaults.warmupEpochs(epochs), seed: seed, labelSmoothing: labelSmoothing,
            alpha: alpha, tau: tau, dropPath: dropPath ?? 0.1, clipNorm: clipNorm,
            augmentation: augment ? Augmentation() : nil, dataset: dataset, teacher: teacher,
            initializedFrom: initializedFrom)
        try config.validate()
        return config
    }

    /// The learning-rate schedule a run takes where the settings leave it open.
    struct Defaults: Sendable {
        var learningRate: Float
        var minLearningRate: Float
        /// Warm-up epochs of a run of so many epochs.
        var warmupEpochs: @Sendable (_ epochs: Int) -> Int

        /// `train`'s recipe, and `finetune --scratch`'s: warm-up, cosine from 5e-4 to 1e-5.
        static let fromScratch = Defaults(learningRate: 5e-4, minLearningRate: 1e-5) { min(5, $0 / 4) }
        /// The paper's Des-Net recipe: no warm-up, cosine from 5e-5 to 1e-6.
        static let fineTuning = Defaults(learningRate: 5e-5, minLearningRate: 1e-6) { _ in 0 }
    }

    /// The training split (its first `trainLimit` images) with its identity, and the test split.
    func loadData() throws -> TrainingData {
        if let threads { BLASThreads.set(threads) }
        let train = try FashionMNIST.load(.train, directory: dataDirectory ?? FashionMNIST.defaultDirectory)
        let test = try FashionMNIST.load(.test, directory: dataDirectory ?? FashionMNIST.defaultDirectory)
        let count = min(trainLimit ?? train.count, train.count)
        let identity = Trainer.identity(of: train, name: "fashion-mnist:train", count: count)
        return TrainingData(train: train, identity: identity, test: test)
    }

    /// A trainer of `config` on `data`, evaluated after each epoch on the first `evalLimit` test images.
    func trainer(
        _ config: TrainingConfig, on data: TrainingData, teacher: TeacherSource? = nil,
        initialWeights: SafeTensorsFile? = nil
    ) throws -> Trainer {
        try Trainer(
            config: config, data: data.train, evalSet: data.test, evalLimit: evalLimit, teacher: teacher,
            initialWeights: initialWeights)
    }

    /// The work folder: `workDirectory`, else `fallback` (a path without its `.train`).
    func workFolder(fallback: String) -> WorkFolder {
        WorkFolder(url: URL(fileURLWithPath: workDirectory ?? fallback + ".train"))
    }
}

/// Fashion-MNIST as a run uses it: the training split with the identity of the images it trains on, and the test
/// split.
struct TrainingData {
    var train: ImageDataSet
    var identity: DatasetIdentity
    var test: ImageDataSet
}

/// A run's work folder: the checkpoint written after every epoch and the metrics log, one line an epoch.
struct WorkFolder {
    var url: URL
    var checkpoint: URL { url.appendingPathComponent("checkpoint.safetensors") }
    var metrics: URL { url.appendingPathComponent("metrics.jsonl") }

    /// Prepares the folder and trains the remaining epochs (up to `stopAfter`): with `resume` the checkpoint is
    /// restored first (and metrics lines past it dropped), else both files start afresh.
    /// - Returns: nil when the run finished, or where it stopped before its last epoch.
    /// - Throws: `ZooError.noCheckpoint` when asked to resume without a checkpoint; the trainer's errors.
    func train(
        _ trainer: Trainer, settings: TrainingSettings,
        progress: ((StepProgress) -> Void)?
    ) throws -> TrainingStopped? {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if settings.resume {
            guard FileManager.default.fileExists(atPath: checkpoint.path) else {
                throw ZooError.noCheckpoint(path: checkpoint.path)
            }
            try trainer.restore(from: checkpoint)
            let lines = (try? String(contentsOf: metrics, encoding: .utf8))?.split(separator: "\n") ?? []
            let kept = lines.prefix(trainer.completedEpochs).map { $0 + "\n" }.joined()
            try kept.write(to: metrics, atomically: true, encoding: .utf8)
        } else {
            try? FileManager.default.removeItem(at: checkpoint)
            try? FileManager.default.removeItem(at: metrics)
        }
        try trainer.run(checkpoint: checkpoint, metrics: metrics, until: settings.stopAfter, progress: progress)
        guard trainer.completedEpochs < trainer.config.epochs else { return nil }
        return TrainingStopped(
            stoppedAfter: trainer.completedEpochs, checkpoint: checkpoint.path,
            metrics: metrics.path)
    }
}

/// A run stopped before its last epoch (`stopAfter`): nothing is written but the checkpoint, which `resume`
/// continues (`Schemas/train-result.schema.json`).
public struct TrainingStopped: Codable, Equatable, Sendable {
    public var schemaVersion = 1
    /// The last epoch run.
    public var stoppedAfter: Int
    public var checkpoint: String
    public var metrics: String
}
