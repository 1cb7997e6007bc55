import Foundation
import LgregArchitecture
import LgregCore
import LgregResolver
import LgregRuntime
import LgregStore
import LgregTraining
import SafeTensors

/// Fine-tunes a Des-Net on Fashion-MNIST, trained as a plain model without distillation, and records it in the
/// store as a tuned Des-Net (`TunedDesNet`): one expanded from a learngene, one trained from scratch, or a loose
/// model file tuned into another file.
public enum DesNetFinetuning {
    /// What to tune.
    public struct Request {
        /// Where the weights start from.
        public enum Start {
            /// The learngene's Des-Net of `depth`, planned as `materialize` plans it; recorded when the learngene is
            /// stored (an archive's goes to `output` only).
            case learngene(OpenedLearngene, depth: Int, recipe: DesNetRecipe)
            /// A Des-Net recorded in `store` (`lgreg materialize`), rebuilt from its learngene as recorded.
            case desNet(StoredDesNet.Opened, digest: Digest, store: LearngeneStore)
            /// A freshly initialized Des-Net of `architecture` (`ViTArchitecture.lookup`) and `depth`, recorded in
            /// `store` without a learngene.
            case scratch(architecture: String, depth: Int, store: LearngeneStore)
            /// A model file (lgreg or timm names) of `architecture`, tuned into `output` (which it needs) and not
            /// recorded.
            case modelFile(path: String, architecture: String)
        }

        public var start: Start
        /// The tuned Des-Net's tag (default `TunedDesNet.defaultTag`, or `scratchTag` from scratch).
        public var tag: String?
        /// Element type of the recorded and written weights (training stays F32).
        public var dtype: DType = .f32
        /// A timm-named safetensors file to write the tuned weights to, besides (or instead of) the store.
        public var output: String?
        /// Seed of shuffling, augmentation and drop-path (and of a scratch model's initialization).
        public var seed: UInt64 = 0
        /// The work folder defaults to `OUTPUT.train`, else `TAG.train` (':' as '_').
        public var settings = TrainingSettings()
        /// `lgreg <version>`, recorded in the tuned Des-Net's config.
        public var tool: String

        public init(start: Start, tool: String) {
            self.start = start
            self.tool = tool
        }
    }

    /// How a run ended; each case is a JSON object of `Schemas/train-result.schema.json`.
    public enum Result: Encodable {
        case stopped(TrainingStopped)
        case modelFile(TunedModelFile)
        /// A tuned Des-Net, with the config it was (or would be, for an archive's) recorded with.
        case desNet(TunedDesNetWritten, TunedDesNet.Config)

        public func encode(to encoder: Encoder) throws {
            switch self {
            case .stopped(let stopped): try stopped.encode(to: encoder)
            case .modelFile(let tuned): try tuned.encode(to: encoder)
            case .desNet(let tuned, _): try tuned.encode(to: encoder)
            }
        }
    }

    /// A model file tuned into another. Accuracies are fractions on the images `evalLimit` allows.
    public struct TunedModelFile: Codable, Equatable, Sendable {
        public var schemaVersion = 1
        /// The tuned weights' file.
        public var output: String
        public var depth: Int, epochs: Int
        /// Test top-1 before and after tuning.
        public var untunedAccuracy: Double, evalAccuracy: Double
        public var dtype: DType
        /// The work folder's metrics log and checkpoint.
        public var metrics: String, checkpoint: String
    }

    /// A tuned Des-Net recorded in the store (`tag`, `digest`) and/or written to `output`. `untunedAccuracy` and
    /// `evalAccuracy` are measured on the images `evalLimit` allows, `tunedTop1` on the whole test set.
    public struct TunedDesNetWritten: Codable, Equatable, Sendable {
        public var schemaVersion = 1
        public var depth: Int, epochs: Int
        /// The strategy's name, `scratch` from scratch.
        public var strategy: String
        /// Top-1 before and after tuning, then on the whole of `evalSet` as recorded.
        public var untunedAccuracy: Double, evalAccuracy: Double, tunedTop1: Double, evalSet: String
        /// Where it went: the store (`tag`, `digest`), a file (`output`), or both.
        public var tag: String?, digest: String?, output: String?
        public var dtype: DType
        /// The work folder's metrics log and checkpoint.
        public var metrics: String, checkpoint: String
    }

    /// Plans (or initializes) the Des-Net, checks its tag, trains it with a checkpoint after every epoch, measures
    /// the tuned weights on the whole test set, records them and writes `output`.
    /// - Parameters:
    ///   - evaluation: batch size and progress of the final measurement.
    ///   - progress: each training step's progress.
    /// - Throws: `StoreError.tagExists` (before training) for a tag that names a learngene; `ZooError.noBlocks`
    ///   for a model file that is not a ViT; the training's and the store's errors.
    public static func run(
        _ request: Request, evaluation: EvaluationSettings = EvaluationSettings(),
        progress: ((StepProgress) -> Void)? = nil
    ) throws -> Result {
        let settings = request.settings
        switch request.start {
        case .modelFile(let path, let architecture):
            return try tuneModelFile(path, architecture: architecture, request, progress: progress)
        case .learngene(let learngene, let depth, let recipe):
            let net = try Materializer.plan(
                learngene.source, depth: depth, strategy: recipe.strategy, head: .keep,
                seed: recipe.seed, allowDropStages: recipe.allowDropStages)
            let stored = learngene.stored.flatMap { stored in learngene.store.map { (stored, $0) } }
            let untuned = stored.flatMap { TunedDesNet.recordedUntuned(net, learngene: $0.0, in: $0.1) }
            return try tuneExpansion(
                net, from: stored, named: learngene.stored?.tags.first ?? learngene.reference,
                untuned: untuned, request, evaluation: evaluation, progress: progress)
        case .desNet(let opened, let digest, let store):
            return try tuneExpansion(
                opened.net, from: (opened.learngene, store),
                named: opened.learngene.tags.first ?? opened.learngene.digest.short, untuned: digest,
                request, evaluation: evaluation, progress: progress)
        case .scratch(let architecture, let depth, let store):
            let tag =
                request.tag
                ?? TunedDesNet.scratchTag(arch: architecture, depth: depth, seed: request.seed, epochs: settings.epochs)
            try checkTag(tag, in: store)
            let data = try settings.loadData()
            let config = try settings.configuration(
                mode: .plain, architecture: ViTArchitecture.lookup(architecture), schedule: .plain(depth),
                defaults: .fromScratch, seed: request.seed, dataset: data.identity)
            let trainer = try settings.trainer(config, on: data)
            let lineage = TunedDesNet.Lineage(
                initialization: .scratch, desNet: nil, learngeneReference: nil,
                untunedDesNetDigest: nil)
            return try tune(
                trainer, lineage: lineage, into: Destination(store: store, base: nil, tag: tag),
                test: data.test, request, evaluation: evaluation, progress: progress)
        }
    }

    /// Tunes `net`, expanded from a learngene (`stored` with its store when it is stored, recorded there under the
    /// default tag or the one asked for), from the weights it was planned with.
    private static func tuneExpansion(
        _ net: DesNet, from stored: (StoredLearngene, LearngeneStore)?, named name: String,
        untuned: Digest?, _ request: Request, evaluation: EvaluationSettings,
        progress: ((StepProgress) -> Void)?
    ) throws -> Result {
        let settings = request.settings
        var destination: Destination?
        if let (learngene, store) = stored {
            let tag =
                request.tag
                ?? TunedDesNet.defaultTag(
                    net, learngene: learngene.manifest, seed: request.seed,
                    epochs: settings.epochs)
            try checkTag(tag, in: store)
            destination = Destination(store: store, base: learngene.digest, tag: tag)
        }
        let data = try settings.loadData()
        let lineage = net.lineage
        let origin =
            "\(name) \(lineage.learngeneDigest ?? "") depth \(net.depth) \(lineage.strategy.rawValue)"
            + (lineage.order.map { " (\($0))" } ?? "") + (lineage.seed.map { " seed \($0)" } ?? "")
        let config = try settings.configuration(
            mode: .plain, architecture: net.architecture, schedule: .plain(net.depth), defaults: .fineTuning,
            seed: request.seed, dataset: data.identity, initializedFrom: origin)
        let trainer = try settings.trainer(config, on: data, initialWeights: TunedDesNet.initialWeights(of: net))
        let tunedLineage = TunedDesNet.Lineage(
            initialization: .learngene, desNet: lineage,
            learngeneReference: stored?.0.tags.first,
            untunedDesNetDigest: untuned?.description)
        return try tune(
            trainer, lineage: tunedLineage, into: destination, test: data.test, request,
            evaluation: evaluation, progress: progress)
    }

    /// Where a tuned Des-Net is recorded: the store, the learngene it derives from (nil from scratch), its tag.
    private struct Destination {
        var store: LearngeneStore
        var base: Digest?
        var tag: String
    }

    /// Refuses, before any training, a tag that is not `name:version` or that names a learngene.
    private static func checkTag(_ tag: String, in store: LearngeneStore) throws {
        try LearngeneStore.checkTag(tag)
        if let learngene = try? store.resolve(tag), learngene.tags.contains(tag) {
            throw StoreError.tagExists(reference: tag, existing: learngene.digest)
        }
    }

    /// Trains a Des-Net, measures the tuned weights on the whole test set, records them (when there is a store)
    /// and writes `output` (when given).
    private static func tune(
        _ trainer: Trainer, lineage: TunedDesNet.Lineage, into destination: Destination?,
        test: ImageDataSet, _ request: Request, evaluation: EvaluationSettings,
        progress: ((StepProgress) -> Void)?
    ) throws -> Result {
        let before = try trainer.evaluate()
        let fallback = request.output ?? destination.map { $0.tag.replacingOccurrences(of: ":", with: "_") } ?? "lgreg"
        let work = request.settings.workFolder(fallback: fallback)
        if let stopped = try work.train(trainer, settings: request.settings, progress: progress) {
            return .stopped(stopped)
        }
        let config = trainer.config
        let weights = try trainer.weightsFile(dtype: request.dtype)
        let measured = try TunedDesNet.measure(
            SafeTensorsFile(data: weights, label: "tuned weights"),
            architecture: config.architecture, on: test, settings: evaluation,
            label: "measure on \(TunedDesNet.evalSet)")
        let tuned = TunedDesNet.Config(
            architecture: config.architecture, depth: config.schedule.depth,
            lineage: lineage, recipe: TunedDesNet.Recipe(config),
            result: .init(evalSet: TunedDesNet.evalSet, result: measured),
            tool: request.tool)
        let digest = try destination.map {
            try TunedDesNet.record(tuned, weights: weights, base: $0.base, in: $0.store, tag: $0.tag)
        }
        if let output = request.output {
            try trainer.writeModel(to: URL(fileURLWithPath: output), dtype: request.dtype)
        }
        let written = TunedDesNetWritten(
            depth: tuned.depth, epochs: config.epochs, strategy: lineage.strategy,
            untunedAccuracy: before?.top1.fraction ?? 0, evalAccuracy: trainer.history.last?.evalAccuracy ?? 0,
            tunedTop1: tuned.result.top1, evalSet: TunedDesNet.evalSet, tag: destination?.tag,
            digest: digest?.description, output: request.output, dtype: request.dtype, metrics: work.metrics.path,
            checkpoint: work.checkpoint.path)
        return .desNet(written, tuned)
    }

    /// `finetune MODEL.safetensors -o FILE`: a loose file in, a loose file out.
    private static func tuneModelFile(
        _ path: String, architecture name: String, _ request: Request,
        progress: ((StepProgress) -> Void)?
    ) throws -> Result {
        guard let output = request.output else { preconditionFailure("tuning a model file needs an output file") }
        let settings = request.settings
        let file = try SafeTensorsFile(path: path)
        let architecture = try ViTArchitecture.lookup(name).adapted(toWeights: file)
        let blocks = file.tensors.compactMap { $0.name.hasPrefix("blocks.") ? $0.name.split(separator: ".")[1] : nil }
        let depth = Set(blocks).count
        guard depth >= 1 else { throw ZooError.noBlocks(file: path) }
        let data = try settings.loadData()
        let url = URL(fileURLWithPath: path)
        let config = try settings.configuration(
            mode: .plain, architecture: architecture, schedule: .plain(depth), defaults: .fineTuning,
            seed: request.seed, dataset: data.identity,
            initializedFrom: "\(url.lastPathComponent) \(try Digest.ofFile(url).digest)")
        let trainer = try settings.trainer(config, on: data, initialWeights: file)
        let before = try trainer.evaluate()
        let work = settings.workFolder(fallback: output)
        if let stopped = try work.train(trainer, settings: settings, progress: progress) { return .stopped(stopped) }
        try trainer.writeModel(to: URL(fileURLWithPath: output), dtype: request.dtype)
        return .modelFile(
            TunedModelFile(
                output: URL(fileURLWithPath: output).path, depth: depth, epochs: config.epochs,
                untunedAccuracy: before?.top1.fraction ?? 0, evalAccuracy: trainer.history.last?.evalAccuracy ?? 0,
                dtype: request.dtype, metrics: work.metrics.path, checkpoint: work.checkpoint.path))
    }
}

extension StageSchedule {
    /// A plain model's schedule: `depth` stages of one layer.
    static func plain(_ depth: Int) throws -> StageSchedule { try StageSchedule(Array(repeating: 1, count: depth)) }
}

extension TunedDesNet.Recipe {
    /// The parts of a training configuration that decide the tuned weights.
    init(_ config: TrainingConfig) {
        self.init(
            epochs: config.epochs, learningRate: config.learningRate, minLearningRate: config.minLearningRate,
            batchSize: config.batchSize, weightDecay: config.weightDecay, warmupEpochs: config.warmupEpochs,
            seed: config.seed, labelSmoothing: config.labelSmoothing, dropPath: config.dropPath,
            augmented: config.augmentation != nil, dataset: config.dataset.name, images: config.dataset.count,
            dataDigest: config.dataset.digest)
    }
}
