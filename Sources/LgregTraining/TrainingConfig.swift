import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore

/// Everything that determines a training run's result, written into every checkpoint (and checked on
/// `--resume`) and into the result's provenance (`Schemas/training-config.schema.json`).
public struct TrainingConfig: Codable, Equatable, Sendable {
    /// The format version this build reads and writes.
    public static let currentVersion = 1

    /// Format version; must equal `currentVersion`.
    public var formatVersion: Int = TrainingConfig.currentVersion
    /// Plain, SWS or TLEG.
    public var mode: LearngeneManifest.Kind
    /// The ViT trained.
    public var architecture: ViTArchitecture
    /// Virtual layers per stored layer (plain: L ones; TLEG: one stage of L).
    public var schedule: StageSchedule
    /// Passes over the training set.
    public var epochs: Int
    /// Images per optimizer step.
    public var batchSize: Int
    /// Peak learning rate after warm-up.
    public var learningRate: Float
    /// Floor of the cosine decay.
    public var minLearningRate: Float
    /// AdamW's decoupled weight decay λ.
    public var weightDecay: Float
    /// Epochs of linear warm-up (0 for none).
    public var warmupEpochs: Int
    /// Seed of initialization, shuffling, augmentation and drop-path.
    public var seed: UInt64
    /// Label smoothing ε of the cross-entropy term.
    public var labelSmoothing: Float
    /// Distillation weight α (0 without a teacher).
    public var alpha: Float
    /// Distillation temperature τ.
    public var tau: Float
    /// Drop-path rate of the last virtual layer (0 at the first, linear in between).
    public var dropPath: Float
    /// Global-norm gradient clipping threshold, or nil for none.
    public var clipNorm: Float?
    /// Crop and flip, or nil for none.
    public var augmentation: Augmentation?
    /// The training images.
    public var dataset: DatasetIdentity
    /// The teacher (a file and its digest), or nil.
    public var teacher: String?
    /// The weights training started from (fine-tuning), or nil for a fresh initialization.
    public var initializedFrom: String?

    public init(
        mode: LearngeneManifest.Kind, architecture: ViTArchitecture, schedule: StageSchedule, epochs: Int,
        batchSize: Int, learningRate: Float, minLearningRate: Float, weightDecay: Float, warmupEpochs: Int,
        seed: UInt64, labelSmoothing: Float, alpha: Float, tau: Float, dropPath: Float, clipNorm: Float?,
        augmentation: Augmentation?, dataset: DatasetIdentity, teacher: String?, initializedFrom: String?
    ) {
        self.mode = mode
        self.architecture = architecture
        self.schedule = schedule
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.minLearningRate = minLearningRate
        self.weightDecay = weightDecay
        self.warmupEpochs = warmupEpochs
        self.seed = seed
        self.labelSmoothing = labelSmoothing
        self.alpha = alpha
        self.tau = tau
        self.dropPath = dropPath
        self.clipNorm = clipNorm
        self.augmentation = augmentation
        self.dataset = dataset
        self.teacher = teacher
        self.initializedFrom = initializedFrom
    }

    /// Checks ranges and cross-field rules.
    /// - Throws: `TrainingError.invalidOption` naming the option.
    public func validate() throws {
        func require(_ ok: Bool, _ name: String, _ why: String) throws {
            if !ok { throw TrainingError.invalidOption(name: name, reason: why) }
        }
        try require(epochs >= 1, "epochs", "must be at least 1, got \(epochs)")
        try require(batchSize >= 1, "batch", "must be at least 1, got \(batchSize)")
        try require(learningRate > 0, "lr", "must be positive, got \(learningRate)")
        try require(
            minLearningRate >= 0 && minLearningRate <= learningRate, "min-lr",
            "must lie in [0, lr], got \(minLearningRate)")
        try require(weightDecay >= 0, "weight-decay", "must be ≥ 0, got \(weightDecay)")
        try require(
            warmupEpochs >= 0 && warmupEpochs <= epochs, "warmup",
            "must lie in 0…epochs (\(epochs)), got \(warmupEpochs)")
        try require((0..<1).contains(labelSmoothing), "label-smoothing", "must lie in [0, 1), got \(labelSmoothing)")
        try require((0...1).contains(alpha), "alpha", "must lie in [0, 1], got \(alpha)")
        try require(
            alpha == 0 || teacher != nil, "alpha", "α = \(alpha) needs a teacher (--teacher or --teacher-logits)")
        try require(tau > 0, "tau", "must be positive, got \(tau)")
        try require((0..<1).contains(dropPath), "drop-path", "must lie in [0, 1), got \(dropPath)")
        try require(clipNorm.map { $0 > 0 } ?? true, "clip", "must be positive")
        if mode == .plain {
            try require(
                schedule.layersPerStage.allSatisfy { $0 == 1 }, "schedule",
                "a plain model has one layer per stage, got \(schedule)")
        }
        if mode == .tleg {
            try require(schedule.stageCount == 1, "schedule", "TLEG trains one stage of L layers, got \(schedule)")
        }
        try require(dataset.count >= 1, "train-limit", "the training set is empty")
    }

    /// Optimizer steps per epoch.
    public var stepsPerEpoch: Int { (dataset.count + batchSize - 1) / batchSize }

    /// The learning-rate schedule over the whole run.
    public var learningRateSchedule: LearningRateSchedule {
        LearningRateSchedule(
            peak: learningRate, floor: minLearningRate, warmupSteps: warmupEpochs * stepsPerEpoch,
            totalSteps: epochs * stepsPerEpoch)
    }

    /// Canonical JSON (sorted keys), as stored in checkpoints.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// Decodes a configuration, refusing unknown versions.
    public static func decode(_ data: Data, file: String) throws -> TrainingConfig {
        struct Versioned: Decodable { let formatVersion: Int }
        let version = try JSONDecoder().decode(Versioned.self, from: data).formatVersion
        guard version == currentVersion else {
            throw TrainingError.unsupportedFormat(
                file: file, field: "formatVersion", found: String(version), expected: String(currentVersion))
        }
        return try StrictJSONDecoder().decode(TrainingConfig.self, from: data)
    }
}

/// Which training images a run used: a name, how many, and the SHA-256 of their pixels and labels.
public struct DatasetIdentity: Codable, Equatable, Sendable {
    /// `fashion-mnist:train`.
    public var name: String
    /// Images used (the first `count` of the split).
    public var count: Int
    /// `sha256:` of the used images' stored pixels followed by their labels.
    public var digest: String

    public init(name: String, count: Int, digest: String) {
        self.name = name
        self.count = count
        self.digest = digest
    }
}
