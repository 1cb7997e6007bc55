import ArgumentParser
import Foundation
import LgregArchitecture
import LgregCore
import LgregResolver
import LgregRuntime
import LgregStore
import LgregTraining
import LgregZoo
import SafeTensors

/// `lgreg finetune aux-b --depth 12 --epochs 1`: expands a learngene into a Des-Net, fine-tunes it on
/// Fashion-MNIST and records the tuned Des-Net in the store; `--scratch` trains one from random weights;
/// `MODEL.safetensors -o FILE` tunes a loose model file as before.
struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tunes a Des-Net from a learngene (or from scratch) on Fashion-MNIST and records it in the store.",
        discussion: """
        REF is a stored learngene (name, name:version, digest prefix; default the current learngene): the Des-Net of \
        --depth is planned with --strategy/--order/--layers-source/--seed as `lgreg materialize` plans it, trained as a \
        plain model without distillation (by default the paper's Des-Net recipe: no warm-up, cosine from 5e-5 to 1e-6), \
        measured on all 10,000 test images, and recorded in the store as a tuned Des-Net \
        (application/vnd.lgreg.desnet.tuned.v1): its weights as a blob of their own, its lineage (learngene, layer map, \
        strategy, order, seed), its recipe (epochs, learning rate, batch, training-set digest) and its top-1, which \
        `lgreg verify` re-measures. The default tag is the materialized Des-Net's with -ft<EPOCHS>, e.g. \
        aux-b-d12:0.1.0-cyclic-front-mid-last-ft1 (-s<SEED> first when the seed is not 0 and the tag has none). \
        --scratch trains a freshly initialized Des-Net of --arch and --depth (default recipe that of `lgreg train`: \
        warm-up, cosine from 5e-4) and records it without a learngene, tagged scratch-<arch>-d<depth>:s<seed>-ft<epochs>. \
        --seed seeds the random-assigned map, fresh tensors, shuffling, augmentation and drop-path. --eval-limit limits \
        the evaluation after each epoch; the recorded top-1 is always measured on the whole test set. --output FILE \
        also writes the tuned weights as a timm-named safetensors file; a .lgz archive (not in the store) needs it, and a \
        MODEL.safetensors argument tunes that file into FILE as before. --dtype f16 (or bf16) records and writes the \
        tuned weights at half the size (training stays F32); the recorded top-1 is measured on the weights as stored. \
        A checkpoint is written after every epoch to --work-dir (default TAG.train, with ':' as '_'); --resume \
        continues. --json follows Schemas/train-result.schema.json. \
        \(ExitStatus.help)
        """)

    @Argument(help: "A stored learngene (name, name:version, digest prefix), a .lgz archive, or a Des-Net .safetensors file (default: the current learngene).")
    var source: String?
    @Flag(help: "Train a freshly initialized Des-Net of --arch and --depth instead (no learngene).")
    var scratch = false
    @Option(help: "Des-Net depth (default: the length of --layers-source).")
    var depth: Int?
    @Option(help: "The architecture of --scratch or of a MODEL.safetensors file: a preset name or an architecture JSON file.")
    var arch = "fmnist-tiny"
    @Option(help: "Tag of the recorded tuned Des-Net (default: see above).")
    var tag: String?
    @Option(help: "Element type of the recorded and written weights: f32, f16 or bf16 (rounded to nearest even).")
    var dtype: DType = .f32
    @OptionGroup var strategy: StrategyOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var options: TrainingOptions

    /// Where the weights come from.
    enum Origin { case modelFile, archive, stored, scratch }

    var origin: Origin {
        if scratch { return .scratch }
        if let source, source.hasSuffix(".safetensors") { return .modelFile }
        return source.map(OpenedLearngene.isArchivePath) == true ? .archive : .stored
    }

    func validate() throws {
        if options.stopAfter == 0 { throw ValidationError("--stop-after must be at least 1 for finetune, got 0.") }
        if scratch, source != nil { throw ValidationError("--scratch trains from random weights; drop '\(source!)'.") }
        if scratch, strategy.strategy != nil || strategy.order != nil || strategy.layersSource != nil {
            throw ValidationError("--scratch takes no --strategy, --order or --layers-source.")
        }
        switch origin {
        case .modelFile:
            if options.output == nil { throw ValidationError("Tuning a model file needs --output FILE.safetensors.") }
            if depth != nil || tag != nil || strategy.strategy != nil { throw ValidationError("A model file has its own depth and is not recorded: drop --depth, --strategy and --tag.") }
        case .archive:
            if options.output == nil { throw ValidationError("A learngene archive is not in the store: pass --output FILE.safetensors, or publish it first.") }
            if tag != nil { throw ValidationError("--tag names a tuned Des-Net recorded in the store; an archive's is only written to --output.") }
            fallthrough
        case .stored, .scratch:
            if depth == nil, strategy.explicitDepth == nil { throw ValidationError("Give --depth (or an explicit --layers-source).") }
        }
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1, got \(depth).") }
        if !dtype.isFloatingPoint { throw ValidationError("--dtype must be f32, f16 or bf16, got \(dtype.rawValue.lowercased()).") }
    }

    func run() throws {
        switch origin {
        case .modelFile: try tuneModelFile()
        case .archive, .stored: try tuneLearngene()
        case .scratch: try trainScratch()
        }
    }

    /// The training configuration of a plain Des-Net of `depth` blocks; `scratch` takes `train`'s default recipe.
    private func configuration(_ architecture: ViTArchitecture, depth: Int, dataset: DatasetIdentity, scratch: Bool,
                               initializedFrom: String?) throws -> TrainingConfig {
        let config = TrainingConfig(
            mode: .plain, architecture: architecture, schedule: try StageSchedule(Array(repeating: 1, count: depth)),
            epochs: options.epochs, batchSize: options.batch, learningRate: options.lr ?? (scratch ? 5e-4 : 5e-5),
            minLearningRate: options.minLR ?? (scratch ? 1e-5 : 1e-6), weightDecay: options.weightDecay,
            warmupEpochs: options.warmup ?? (scratch ? min(5, options.epochs / 4) : 0), seed: strategy.seed, labelSmoothing: options.labelSmoothing,
            alpha: 0, tau: 1, dropPath: options.dropPath ?? 0.1, clipNorm: options.clip, augmentation: options.noAugment ? nil : Augmentation(),
            dataset: dataset, teacher: nil, initializedFrom: initializedFrom)
        do { try config.validate() } catch let error as TrainingError { throw ValidationError(error.description) }
        return config
    }

    /// `finetune MODEL.safetensors -o FILE`: as before, a loose file in, a loose file out.
    private func tuneModelFile() throws {
        let model = source!
        let file = try SafeTensorsFile(path: model)
        let architecture = try ArchitectureOptions.parse([arch]).resolve().adapted(toWeights: file)
        let depth = Set(file.tensors.compactMap { $0.name.hasPrefix("blocks.") ? $0.name.split(separator: ".")[1] : nil }).count
        guard depth >= 1 else { throw ValidationError("\(model) holds no blocks.i.* tensors; it is not a ViT.") }
        let data = try options.loadData()
        let config = try configuration(architecture, depth: depth, dataset: data.identity, scratch: false,
                                       initializedFrom: "\(URL(fileURLWithPath: model).lastPathComponent) \(try Digest.ofFile(URL(fileURLWithPath: model)).digest)")
        let trainer = try Trainer(config: config, data: data.train, evalSet: data.test, evalLimit: options.evalLimit, teacher: nil, initialWeights: file)
        let before = try trainer.evaluate()
        guard try train(trainer, options: options) else { return }
        let output = URL(fileURLWithPath: options.output!)
        try trainer.writeModel(to: output, dtype: dtype)
        let after = trainer.history.last?.evalAccuracy ?? 0
        let untuned = before?.top1.fraction ?? 0
        try options.report(
            ["schemaVersion": 1, "output": output.path, "depth": depth, "epochs": config.epochs, "untunedAccuracy": untuned, "evalAccuracy": after, "dtype": dtype.rawValue,
             "metrics": options.metrics.path, "checkpoint": options.checkpoint.path],
            summary: "wrote \(output.path) (depth \(depth)): test top-1 \(String(format: "%.2f", untuned * 100))% untuned → \(String(format: "%.2f", after * 100))% after \(Plural.count(config.epochs, "epoch"))")
    }

    /// A learngene's Des-Net: planned, tuned, measured on the whole test set and recorded (a stored learngene).
    private func tuneLearngene() throws {
        let opened = try LearngeneArgument(reference: source, store: store).open(.write)
        let recipe = try strategy.recipe()
        let net = try Materializer.plan(opened.source, depth: depth ?? strategy.explicitDepth!, strategy: recipe.strategy, head: .keep,
                                        seed: recipe.seed, allowDropStages: recipe.allowDropStages)
        var recorded: (store: LearngeneStore, stored: StoredLearngene, tag: String)?
        if let stored = opened.stored, let store = opened.store {
            let chosen = tag ?? TunedDesNet.defaultTag(net, learngene: stored.manifest, seed: strategy.seed, epochs: options.epochs)
            try checkTag(chosen, in: store)
            recorded = (store, stored, chosen)
        }
        let data = try options.loadData()
        let origin = "\(opened.stored?.tags.first ?? opened.reference) \(opened.source.learngeneDigest ?? "") depth \(net.depth) \(recipe.strategy)"
            + (net.lineage.seed.map { " seed \($0)" } ?? "")
        let config = try configuration(net.architecture, depth: net.depth, dataset: data.identity, scratch: false, initializedFrom: origin)
        let trainer = try Trainer(config: config, data: data.train, evalSet: data.test, evalLimit: options.evalLimit, teacher: nil,
                                  initialWeights: try TunedDesNet.initialWeights(of: net))
        let before = try trainer.evaluate()
        let run = withWorkDirectory(recorded?.tag)
        guard try train(trainer, options: run) else { return }
        let lineage = TunedDesNet.Lineage(initialization: .learngene, desNet: net.lineage, learngeneReference: opened.stored?.tags.first,
                                          untunedDesNetDigest: recorded.flatMap { TunedDesNet.recordedUntuned(net, learngene: $0.stored, in: $0.store)?.description })
        try finish(trainer, lineage: lineage, untuned: before, into: recorded.map { ($0.store, $0.stored.digest, $0.tag) }, test: data.test,
                   options: run)
    }

    /// `--scratch`: a freshly initialized Des-Net, trained and recorded without a learngene.
    private func trainScratch() throws {
        let architecture = try ArchitectureOptions.parse([arch]).resolve()
        let depth = depth ?? strategy.explicitDepth!
        let chosen = tag ?? TunedDesNet.scratchTag(arch: arch, depth: depth, seed: strategy.seed, epochs: options.epochs)
        let opened = try store.open(.create)
        if opened.created { FileHandle.standardError.write(Data("created store at \(opened.layout.root.path)\n".utf8)) }
        try checkTag(chosen, in: opened)
        let data = try options.loadData()
        let config = try configuration(architecture, depth: depth, dataset: data.identity, scratch: true, initializedFrom: nil)
        let trainer = try Trainer(config: config, data: data.train, evalSet: data.test, evalLimit: options.evalLimit, teacher: nil)
        let before = try trainer.evaluate()
        let run = withWorkDirectory(chosen)
        guard try train(trainer, options: run) else { return }
        let lineage = TunedDesNet.Lineage(initialization: .scratch, desNet: nil, learngeneReference: nil, untunedDesNetDigest: nil)
        try finish(trainer, lineage: lineage, untuned: before, into: (opened, nil, chosen), test: data.test, options: run)
    }

    /// Refuses, before any training, a tag that is not `name:version` or that names a learngene.
    private func checkTag(_ tag: String, in store: LearngeneStore) throws {
        try LearngeneStore.checkTag(tag)
        if let learngene = try? store.resolve(tag), learngene.tags.contains(tag) {
            throw StoreError.tagExists(reference: tag, existing: learngene.digest)
        }
    }

    /// The training options with the default work folder of a run recorded under `tag` (`TAG.train`, ':' as '_').
    private func withWorkDirectory(_ tag: String?) -> TrainingOptions {
        var chosen = options
        if chosen.workDirectory == nil, chosen.output == nil, let tag { chosen.workDirectory = tag.replacingOccurrences(of: ":", with: "_") + ".train" }
        return chosen
    }

    /// Prepares the work folder (resuming when asked) and trains; false when stopped early (`--stop-after`).
    private func train(_ trainer: Trainer, options: TrainingOptions) throws -> Bool {
        try options.prepare(trainer)
        return try options.run(trainer)
    }

    /// Measures the tuned weights on the whole test set, records them (when there is a store) and writes
    /// `--output` (when given), then reports.
    private func finish(_ trainer: Trainer, lineage: TunedDesNet.Lineage, untuned: EvaluationResult?,
                        into destination: (store: LearngeneStore, base: Digest?, tag: String)?, test: ImageDataSet, options: TrainingOptions) throws {
        let config = trainer.config
        let weights = try trainer.weightsFile(dtype: dtype)
        let settings = EvaluationSettings(progress: TerminalProgress.reporter)
        let measured = try TunedDesNet.measure(try SafeTensorsFile(data: weights, label: "tuned weights"), architecture: config.architecture,
                                               on: test, settings: settings, label: "measure on \(TunedDesNet.evalSet)")
        let recipe = TunedDesNet.Recipe(
            epochs: config.epochs, learningRate: config.learningRate, minLearningRate: config.minLearningRate,
            batchSize: config.batchSize, weightDecay: config.weightDecay, warmupEpochs: config.warmupEpochs, seed: config.seed,
            labelSmoothing: config.labelSmoothing, dropPath: config.dropPath, augmented: config.augmentation != nil,
            dataset: config.dataset.name, images: config.dataset.count, dataDigest: config.dataset.digest)
        let tuned = TunedDesNet.Config(architecture: config.architecture, depth: config.schedule.depth, lineage: lineage, recipe: recipe,
                                       result: .init(evalSet: TunedDesNet.evalSet, result: measured), tool: "lgreg \(Lgreg.version)")
        var digest: Digest?
        if let destination {
            digest = try TunedDesNet.record(tuned, weights: weights, base: destination.base, in: destination.store, tag: destination.tag)
        }
        if let output = options.output { try trainer.writeModel(to: URL(fileURLWithPath: output), dtype: dtype) }
        let untunedTop1 = untuned?.top1.fraction ?? 0
        var fields: [String: Any] = [
            "schemaVersion": 1, "depth": tuned.depth, "epochs": config.epochs, "strategy": lineage.strategy, "untunedAccuracy": untunedTop1,
            "evalAccuracy": trainer.history.last?.evalAccuracy ?? 0, "tunedTop1": tuned.result.top1, "evalSet": TunedDesNet.evalSet,
            "metrics": options.metrics.path, "checkpoint": options.checkpoint.path, "dtype": dtype.rawValue,
        ]
        if let destination, let digest { fields["tag"] = destination.tag; fields["digest"] = digest.description }
        if let output = options.output { fields["output"] = output }
        let place = [destination.map { "recorded \($0.tag)" }, options.output.map { "wrote \($0)" }].compactMap { $0 }.joined(separator: ", ")
        try options.report(fields, summary: "\(place) (depth \(tuned.depth), \(lineage.strategy), \(Plural.count(config.epochs, "epoch"))): test top-1 "
                           + String(format: "%.2f%% (%d/%d images)", 100 * tuned.result.top1, tuned.result.correct, tuned.result.images)
                           + (lineage.initialization == .scratch ? "" : String(format: ", %.2f%% untuned", 100 * untunedTop1)
                              + (options.evalLimit.map { " on the first \($0) images" } ?? "")))
    }
}

/// `--dtype f16`: a safetensors element type by its name, in either case.
extension DType: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
    public static var allValueStrings: [String] { allCases.filter(\.isFloatingPoint).map { $0.rawValue.lowercased() } }
}
