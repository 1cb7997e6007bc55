import ArgumentParser
import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregReports
import LgregResolver
import LgregRuntime
import LgregStore
import LgregVocabulary
import LgregZoo

/// `lgreg eval model.safetensors --arch fmnist-small` or `lgreg eval aux-fmnist --depths 6-15`: top-1, loss, speed.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract:
            "Evaluates a model or a learngene's Des-Nets on a data set: top-1 accuracy, mean cross-entropy, images per second.",
        discussion: """
            MODEL is either a .safetensors file in lgreg or timm naming (timm's fc_norm.* is read as norm.*) with \
            --arch, a folder `materialize --output` or `export` wrote (run with its own config.json), a stored Des-Net (its tag or digest: evaluated as recorded), a tuned or scratch Des-Net (evaluated \
            from its own weights: on the whole test set it gives the top-1 it recorded), or a learngene: a stored \
            reference (name, name:version, digest prefix) or a .lgz archive. A model \
            file runs block i as layer i, or by --layers-source (0,0,0,1,1,1,2,2,2,2,3,3,3,4,4,4 runs an Aux-Net of \
            schedule 3,3,4,3,3 from its 5 stored blocks without copying them). A learngene is expanded to each \
            --depths (or --depth) with the chosen strategy and evaluated with its own head; copy strategies run \
            straight from its layers. Images are visited in order, so the same model and data always give the same \
            figures. --json follows Schemas/eval-report.schema.json (top1 a fraction in [0, 1]; the table prints percent).
            """)

    @Argument(
        help:
            "A model .safetensors file or export folder; a stored Des-Net or tuned Des-Net; or a learngene: a stored reference or a .lgz archive (default: the current learngene, see `lgreg use`)."
    )
    var model: String?

    @Option(
        help:
            "A model file's architecture: a preset name (see `lgreg arch list`), an architecture JSON file, or the folder or config.json of an lgreg export (`materialize --output`)."
    )
    var arch: String?

    @Option(help: "A model file's head classes, replacing the architecture's own.")
    var classes: Int?

    @Flag(
        name: .customLong("class-token"), help: "The model file has a class token and classifies from it (timm's DeiT)."
    )
    var classToken = false

    @Option(
        help:
            "Pooling order, replacing the architecture's: avg-norm-first (norm, then mean), avg (mean, then norm) or cls."
    )
    var pooling: Pooling?

    @Option(help: "Depth: a learngene's Des-Net depth, or a model file's expected depth.")
    var depth: Int?

    @Option(help: "A learngene's Des-Net depths, one row each: N, N-M or a comma list (e.g. 6-15).")
    var depths: String?

    @OptionGroup var strategy: StrategyOptions

    @OptionGroup var store: StoreOptions

    @Option(
        help:
            "fashion-mnist:test, fashion-mnist:train, or an eval-set .safetensors file (Schemas/eval-set.schema.json).")
    var data = "fashion-mnist:test"

    @OptionGroup var evaluation: EvaluationOptions

    @Option(help: "Evaluate only the first N images.")
    var limit: Int?

    @Option(help: "OpenBLAS threads (default: OpenBLAS's own choice).")
    var threads: Int?

    @Option(
        help:
            "With a .lgz archive: write a copy to this path whose manifest declares the measured untuned top-1 of every depth, for `lgreg verify` to re-measure."
    )
    var declare: String?

    @Option(
        help:
            "Also write the logits of every image evaluated to this safetensors file (tensor `logits`, F32 [images, classes]), for comparing with PyTorch; one model only."
    )
    var logits: String?

    @OptionGroup var output: OutputOptions

    /// Whether MODEL is a weights file (or an export folder) rather than a learngene.
    var isModelFile: Bool { model?.hasSuffix(".safetensors") ?? false || exportFolder != nil }

    /// MODEL as a folder `materialize --output` or `export` wrote: its model.safetensors runs with its config.json.
    var exportFolder: String? {
        guard let model, case .file(let path)? = try? ModelReference(parsing: model) else { return nil }
        return FileManager.default.fileExists(atPath: path + "/config.json") ? path : nil
    }

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit).") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1, got \(depth).") }
        if depth != nil, depths != nil { throw ValidationError("Give --depth or --depths, not both.") }
        if isModelFile {
            if arch == nil, exportFolder == nil {
                throw ValidationError(
                    "A model file needs --arch (a preset, an architecture JSON file, or an export's config.json).")
            }
            if arch != nil, exportFolder != nil {
                throw ValidationError("An export folder carries its architecture in its config.json; drop --arch.")
            }
            if depths != nil { throw ValidationError("--depths expands a learngene; a model file has one depth.") }
            if strategy.strategy != nil || strategy.order != nil {
                throw ValidationError(
                    "--strategy and --order expand a learngene; a model file takes --layers-source only.")
            }
        } else {
            if arch != nil || classes != nil || classToken {
                throw ValidationError(
                    "A learngene carries its architecture and head; --arch, --classes and --class-token apply to model files."
                )
            }
        }
        if declare != nil {
            guard let model, model.hasSuffix(".lgz") else {
                throw ValidationError(
                    "--declare rewrites a .lgz archive; '\(model ?? "the current learngene")' is not one.")
            }
            guard limit == nil else { throw ValidationError("--declare measures the whole data set; drop --limit.") }
        }
    }

    func run() throws {
        if let threads { BLASThreads.set(threads) }
        let dataSet = try DataSpec(parsing: data).load(directory: evaluation.dataDirectory)
        let settings = EvaluationSettings(
            batchSize: evaluation.batchSize, limit: limit, progress: TerminalProgress.reporter)
        var rows: [EvalRow] = []
        var label = model ?? ""
        if let model, isModelFile {
            let network =
                try exportFolder.map { try modelFromFile($0 + "/model.safetensors", arch: $0) }
                ?? modelFromFile(model, arch: arch!)
            rows += try evaluate(
                [network], on: dataSet, settings: settings, label: "eval depth \(network.depth) on \(dataSet.source)")
        } else if let stored = try storedModel() {
            // One model, run as `finetune` measured it and `verify` re-measures it: the same top-1 to the image.
            var single = settings
            single.evaluator = .oneAtATime
            rows = try evaluate([stored], on: dataSet, settings: single, label: "eval \(label) on \(dataSet.source)")
        } else {
            if depth == nil, depths == nil, strategy.explicitDepth == nil {
                throw ValidationError("Give --depth or --depths for the learngene's Des-Nets (e.g. --depths 6-15).")
            }
            let opened = try LearngeneArgument(reference: model, store: store).open()
            label = opened.reference
            let source = opened.source
            let recipe = try strategy.recipe(pooling: pooling)
            let chosen = try depths.map(parseDepths) ?? [depth ?? strategy.explicitDepth!]
            rows = try evaluate(
                try DesNetEvaluation.models(source, depths: chosen, recipe: recipe), on: dataSet, settings: settings,
                label: "eval \(Plural.count(chosen.count, "depth")) of \(label) on \(dataSet.source)")
            if let declare {
                let declared = try ResultDeclaration.write(
                    rows, strategy: recipe.strategy, seed: recipe.seed, evalSet: try DataSpec(parsing: data).label,
                    archive: try LearngeneArchive.read(URL(fileURLWithPath: opened.reference)),
                    to: URL(fileURLWithPath: declare))
                FileHandle.standardError.write(Data("declared \(declared.count) untuned results in \(declare)\n".utf8))
            }
        }
        print(try EvalRow.render(rows, model: label, data: dataSet.source, format: output.format), terminator: "")
    }

    /// The stored Des-Net or tuned Des-Net MODEL names, ready to run; nil when MODEL is no such entry (an archive,
    /// a learngene, nothing). A Des-Net carries its depth, strategy and head, so the options that choose them are
    /// refused.
    private func storedModel() throws -> ViTModel? {
        guard let model, try OpenedLearngene.archivePath(model) == nil else { return nil }
        let opened = try store.open()
        guard let (stored, entry) = try StoredModel.named(model, store: { opened }) else { return nil }
        if depth != nil || depths != nil || strategy.strategy != nil || strategy.order != nil
            || strategy.layersSource != nil || pooling != nil || declare != nil
        {
            throw ValidationError(
                "'\(model)' is a \(entry.kind == EntryKind.desnet.rawValue ? "Des-Net" : "\(entry.kind) Des-Net"): it has its depth, strategy and pooling; drop --depth, --depths, --strategy, --order, --layers-source, --pooling and --declare."
            )
        }
        return try stored.runnable(in: opened)
    }

    private func modelFromFile(_ model: String, arch: String) throws -> ViTModel {
        var architecture = try ViTArchitecture.lookup(arch, classes: classes, classToken: classToken)
        if let pooling { architecture.pooling = pooling }
        try architecture.validate()
        let map: [Int]?
        if case .explicit(let entries)? = strategy.layersSource == nil ? nil : try strategy.resolve() {
            map = entries
        } else {
            map = nil
        }
        let network = try ViTModel(path: model, architecture: architecture, layerMap: map)
        if let depth, depth != network.depth {
            throw ValidationError(
                "--depth \(depth), but \(model) runs \(network.depth) layers\(map == nil ? " (one per stored block; pass --layers-source to reuse blocks)" : " by its layer map")."
            )
        }
        return network
    }

}
