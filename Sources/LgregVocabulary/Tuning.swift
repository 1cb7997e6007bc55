/// Where a tuned Des-Net's weights started from.
public struct TunedLineage: Codable, Equatable, Sendable {
    /// `learngene` (a Des-Net expanded from a learngene) or `scratch` (every tensor freshly initialized).
    public enum Initialization: String, Codable, Sendable { case learngene, scratch }

    public var initialization: Initialization
    /// The untuned Des-Net's lineage: learngene digest and kind, strategy, order, seed, layer map, head
    /// (nil from scratch).
    public var desNet: Lineage?
    /// A tag of the learngene when it was tuned (`aux-b:0.1.0`), for people; the digest is in `desNet`.
    public var learngeneReference: String?
    /// The untuned Des-Net's manifest, when the store recorded it (`lgreg materialize`).
    public var untunedDesNetDigest: String?

    public init(
        initialization: Initialization, desNet: Lineage?, learngeneReference: String?, untunedDesNetDigest: String?
    ) {
        self.initialization = initialization
        self.desNet = desNet
        self.learngeneReference = learngeneReference
        self.untunedDesNetDigest = untunedDesNetDigest
    }

    /// The strategy's name as reports and tags spell it (`scratch` from scratch).
    public var strategy: String { desNet?.strategy.rawValue ?? StrategyName.scratch.rawValue }
}

/// The training recipe as recorded: the parts of the training configuration that decide the weights.
public struct TrainingRecipe: Codable, Equatable, Sendable {
    public var epochs: Int
    public var learningRate: Float
    public var minLearningRate: Float
    public var batchSize: Int
    public var weightDecay: Float
    public var warmupEpochs: Int
    /// Seed of shuffling, augmentation and drop-path (and of a scratch model's initialization).
    public var seed: UInt64
    public var labelSmoothing: Float
    public var dropPath: Float
    public var augmented: Bool
    /// The training images: `fashion-mnist:train`, how many, and the SHA-256 of their pixels and labels.
    public var dataset: String
    public var images: Int
    public var dataDigest: String

    public init(
        epochs: Int, learningRate: Float, minLearningRate: Float, batchSize: Int, weightDecay: Float, warmupEpochs: Int,
        seed: UInt64, labelSmoothing: Float, dropPath: Float, augmented: Bool, dataset: String, images: Int,
        dataDigest: String
    ) {
        self.epochs = epochs
        self.learningRate = learningRate
        self.minLearningRate = minLearningRate
        self.batchSize = batchSize
        self.weightDecay = weightDecay
        self.warmupEpochs = warmupEpochs
        self.seed = seed
        self.labelSmoothing = labelSmoothing
        self.dropPath = dropPath
        self.augmented = augmented
        self.dataset = dataset
        self.images = images
        self.dataDigest = dataDigest
    }
}

/// How a Des-Net tuned outside lgreg (in PyTorch, on a GPU) was trained, as its trainer gave it: lgreg stores it
/// and shows it, and re-measures the weights instead of trusting it.
public struct ExternalRecipe: Codable, Equatable, Sendable {
    /// What trained it, as given (`torch 2.5.1`, `lgreg-python 0.1.0`); nil when not said.
    public var trainedWith: String?
    /// The recipe as given: optimizer, learning rate, steps, device, data, whatever the trainer recorded.
    public var settings: [String: JSONValue]

    public init(trainedWith: String?, settings: [String: JSONValue]) {
        self.trainedWith = trainedWith
        self.settings = settings
    }

    /// `trained with torch 2.5.1: {"lr":0.0001,"steps":50}`.
    public var summary: String {
        "trained with \(trainedWith ?? "an outside trainer")\(settings.isEmpty ? "" : ": \(JSONValue.object(settings))")"
    }
}

extension TrainingRecipe {
    /// How long or where the weights were tuned, for one line: `3 epochs`, or `elsewhere (torch 2.5.1)`.
    public static func span(_ recipe: TrainingRecipe?, external: ExternalRecipe?) -> String {
        if let recipe { return "\(recipe.epochs) epoch\(recipe.epochs == 1 ? "" : "s")" }
        return "elsewhere" + (external?.trainedWith.map { " (\($0))" } ?? "")
    }
}

/// A top-1 measured on a whole evaluation set.
public struct MeasuredResult: Codable, Equatable, Sendable {
    /// `fashion-mnist:test`.
    public var evalSet: String
    /// Top-1 accuracy in [0, 1].
    public var top1: Double
    /// Mean cross-entropy.
    public var loss: Double
    public var correct: Int
    public var images: Int

    public init(evalSet: String, top1: Double, loss: Double, correct: Int, images: Int) {
        self.evalSet = evalSet
        self.top1 = top1
        self.loss = loss
        self.correct = correct
        self.images = images
    }

    /// The top-1 as a value.
    public var accuracy: Top1 { Top1(fraction: top1) }
}

/// What an export of a tuned Des-Net carries of its record (timm `config.json`'s `lgreg.tuned`, and its model
/// card): where it started, how it was trained, what it scored, and the store entry it was exported from.
public struct TuningRecord: Codable, Equatable, Sendable {
    /// The tuned Des-Net's manifest digest in the store it was exported from.
    public var entryDigest: String
    public var lineage: TunedLineage
    /// lgreg's own recipe (`lgreg finetune`); nil for weights tuned elsewhere and recorded (`lgreg record`).
    public var recipe: TrainingRecipe?
    /// The recipe of weights tuned elsewhere, as given; nil for lgreg's own.
    public var externalRecipe: ExternalRecipe?
    public var result: MeasuredResult

    public init(
        entryDigest: String, lineage: TunedLineage, recipe: TrainingRecipe?, externalRecipe: ExternalRecipe? = nil,
        result: MeasuredResult
    ) {
        self.entryDigest = entryDigest
        self.lineage = lineage
        self.recipe = recipe
        self.externalRecipe = externalRecipe
        self.result = result
    }
}
