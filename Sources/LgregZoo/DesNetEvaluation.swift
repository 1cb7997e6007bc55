import LgregArchitecture
import LgregResolver
import LgregRuntime

/// Runs Des-Nets planned from a learngene on the BLAS runtime: untuned accuracy per depth.
public enum DesNetEvaluation {
    /// Expands `source` to each depth with `recipe` (head kept: the learngene's own task) and evaluates every
    /// Des-Net on `dataSet`, images in order, so the same learngene and data always give the same figures.
    public static func evaluate(
        _ source: any LearngeneSource, depths: [Int], recipe: DesNetRecipe, on dataSet: ImageDataSet,
        settings: EvaluationSettings
    ) throws -> [EvalRow] {
        let networks = try models(source, depths: depths, recipe: recipe)
        let label =
            "eval depth\(depths.count == 1 ? "" : "s") \(depths.map(String.init).joined(separator: ",")) on \(dataSet.source)"
        return try evaluate(networks, on: dataSet, settings: settings, label: label)
    }

    /// The runnable Des-Nets of `source` at each depth, expanded with `recipe` (head kept).
    public static func models(_ source: any LearngeneSource, depths: [Int], recipe: DesNetRecipe) throws -> [ViTModel] {
        let models = DesNetModels(source: source)
        return try depths.map { depth in
            try models.model(
                for: try Materializer.plan(
                    source, depth: depth, strategy: recipe.strategy, head: .keep, pooling: recipe.pooling,
                    seed: recipe.seed, allowDropStages: recipe.allowDropStages))
        }
    }

    /// Evaluates `models` on `dataSet`, through their prefix tree or one at a time as `settings.evaluator` says
    /// (the same figures either way).
    public static func evaluate(
        _ models: [ViTModel], on dataSet: ImageDataSet, settings: EvaluationSettings, label: String
    ) throws -> [EvalRow] {
        let results: [EvaluationResult]
        switch settings.evaluator {
        case .prefixTree, .batchedTree:
            results = try PrefixTreeEvaluation.run(
                models, on: dataSet, batchSize: settings.batchSize, limit: settings.limit,
                threading: settings.threading, blocks: settings.evaluator == .batchedTree ? .batched : .plain,
                progress: settings.progress(label))
        case .oneAtATime:
            results = try models.enumerated().map { index, model in
                try Evaluation.run(
                    ViTRunner(model: model, maxBatch: settings.batchSize), on: dataSet, limit: settings.limit,
                    progress: settings.progress("\(label) (\(index + 1)/\(models.count))"))
            }
        }
        return zip(models, results).map { EvalRow(depth: $0.depth, layerMap: $0.layerMap, result: $1) }
    }
}

extension DataSpec {
    /// The one label a data set has in declared results and reports: `fashion-mnist:test`,
    /// `fashion-mnist:train` (as `--data` spells them), or the eval-set file's path.
    public var label: String {
        switch self {
        case .fashionMNIST(let split): return "fashion-mnist:\(split.rawValue)"
        case .evalSet(let path): return path
        }
    }
}
