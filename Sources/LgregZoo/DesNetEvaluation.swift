import LgregArchitecture
import LgregResolver
import LgregRuntime

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
