import LgregArchitecture
import LgregResolver
import LgregRuntime

/// One evaluated Des-Net: its depth, the learngene layer each block runs, and the figures.
public struct EvalRow: Sendable {
    public var depth: Int
    /// For each block, the learngene layer it runs (empty for a model file run block by block).
    public var layerMap: [Int]
    public var result: EvaluationResult

    public init(depth: Int, layerMap: [Int], result: EvaluationResult) {
        self.depth = depth
        self.layerMap = layerMap
        self.result = result
    }
}

/// How to expand a learngene into Des-Nets: the strategy and what goes with it.
public struct DesNetRecipe: Sendable {
    public var strategy: Strategy
    /// Seed of random-assigned maps and of every fresh tensor.
    public var seed: UInt64
    /// Whether a depth below the learngene's layer count may leave whole stages out.
    public var allowDropStages: Bool
    /// Pooling order, replacing the learngene's.
    public var pooling: Pooling?

    public init(strategy: Strategy, seed: UInt64 = 0, allowDropStages: Bool = false, pooling: Pooling? = nil) {
        self.strategy = strategy
        self.seed = seed
        self.allowDropStages = allowDropStages
        self.pooling = pooling
    }
}

/// Evaluation settings shared by `eval` and `verify`.
public struct EvaluationSettings: Sendable {
    /// Images per forward pass.
    public var batchSize: Int
    /// Evaluate only the first N images.
    public var limit: Int?
    /// A progress callback for a labelled run (nil: quiet).
    public var progress: @Sendable (String) -> ((Int, Int) -> Void)?

    public init(batchSize: Int = 64, limit: Int? = nil, progress: @escaping @Sendable (String) -> ((Int, Int) -> Void)? = { _ in nil }) {
        self.batchSize = batchSize
        self.limit = limit
        self.progress = progress
    }
}

/// Runs Des-Nets planned from a learngene on the BLAS runtime: untuned accuracy per depth.
public enum DesNetEvaluation {
    /// Expands `source` to each depth with `recipe` (head kept: the learngene's own task) and evaluates it on
    /// `dataSet`, images in order, so the same learngene and data always give the same figures.
    public static func evaluate(_ source: any LearngeneSource, depths: [Int], recipe: DesNetRecipe, on dataSet: ImageDataSet,
                                settings: EvaluationSettings) throws -> [EvalRow] {
        try depths.map { depth in
            let net = try Materializer.plan(source, depth: depth, strategy: recipe.strategy, head: .keep, pooling: recipe.pooling,
                                            seed: recipe.seed, allowDropStages: recipe.allowDropStages)
            return try evaluate(try ViTModel(desNet: net, source: source), on: dataSet, settings: settings,
                                label: "eval depth \(depth) on \(dataSet.source)")
        }
    }

    /// Evaluates one model.
    public static func evaluate(_ model: ViTModel, on dataSet: ImageDataSet, settings: EvaluationSettings, label: String) throws -> EvalRow {
        let result = try Evaluation.run(ViTRunner(model: model, maxBatch: settings.batchSize), on: dataSet, limit: settings.limit,
                                        progress: settings.progress(label))
        return EvalRow(depth: model.depth, layerMap: model.layerMap, result: result)
    }
}

extension DataSpec {
    /// The one label a data set has in declared results and reports: `fashion-mnist-test`,
    /// `fashion-mnist-train`, or the eval-set file's path.
    public var label: String {
        switch self {
        case let .fashionMNIST(split): return "fashion-mnist-\(split.rawValue)"
        case let .evalSet(path): return path
        }
    }
}
