import ArgumentParser
import Foundation
import LgregCore
import LgregVocabulary
import LgregZoo
import SafeTensors

/// `lgreg finetune aux-b --depth 12 --epochs 1`: expands a learngene into a Des-Net, fine-tunes it on
/// Fashion-MNIST and records the tuned Des-Net in the store; `--scratch` trains one from random weights;
/// `MODEL.safetensors -o FILE` tunes a loose model file as before.
struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract:
            "Fine-tunes a Des-Net from a learngene (or from scratch) on Fashion-MNIST and records it in the store.",
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

    @Argument(
        help:
            "A stored learngene (name, name:version, digest prefix), a .lgz archive, or a Des-Net .safetensors file (default: the current learngene)."
    )
    var source: String?
    @Flag(help: "Train a freshly initialized Des-Net of --arch and --depth instead (no learngene).")
    var scratch = false
    @Option(help: "Des-Net depth (default: the length of --layers-source).")
    var depth: Int?
    @Option(
        help:
            "The architecture of --scratch or of a MODEL.safetensors file: a preset name or an architecture JSON file.")
    var arch = "fmnist-tiny"
    @Option(help: "Tag of the recorded tuned Des-Net (default: see above).")
    var tag: String?
    @Option(help: "Element type of the recorded and written weights: f32, f16 or bf16 (rounded to nearest even).")
    var dtype: DType = .f32
    @OptionGroup var strategy: StrategyOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var options: TrainingOptions

    /// The recorded Des-Net MODEL names, to tune as recorded; nil for a learngene (or nothing in the store). A
    /// Des-Net has its depth and strategy, so the options that choose them are refused; a tuned one is refused.
    private func storedDesNet() throws -> DesNetFinetuning.Request.Start? {
        guard let source, try OpenedLearngene.archivePath(source) == nil else { return nil }
        let opened = try store.open(.write)
        guard let (stored, entry) = try StoredModel.named(source, store: { opened }) else { return nil }
        guard case .desNet(let desNet) = stored else {
            throw ValidationError(
                "'\(source)' is a tuned Des-Net; finetune starts from a learngene or a recorded Des-Net "
                    + "(its tuned weights: lgreg export \(source) -o DIR, then finetune DIR/model.safetensors --output FILE)."
            )
        }
        if depth != nil || strategy.strategy != nil || strategy.order != nil || strategy.layersSource != nil {
            throw ValidationError(
                "'\(source)' is a Des-Net: it has its depth and strategy; drop --depth, --strategy, --order and --layers-source."
            )
        }
        return .desNet(desNet, digest: entry.digest, store: opened)
    }

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
            if depth != nil || tag != nil || strategy.strategy != nil {
                throw ValidationError(
                    "A model file has its own depth and is not recorded: drop --depth, --strategy and --tag.")
            }
        case .archive:
            if options.output == nil {
                throw ValidationError(
                    "A learngene archive is not in the store: pass --output FILE.safetensors, or publish it first.")
            }
            if tag != nil {
                throw ValidationError(
                    "--tag names a tuned Des-Net recorded in the store; an archive's is only written to --output.")
            }
            fallthrough
        case .scratch:
            if depth == nil, strategy.explicitDepth == nil {
                throw ValidationError("Give --depth (or an explicit --layers-source).")
            }
        case .stored: break  // a learngene needs --depth, a recorded Des-Net has its own: checked once it is resolved
        }
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1, got \(depth).") }
        if !dtype.isFloatingPoint {
            throw ValidationError("--dtype must be f32, f16 or bf16, got \(dtype.rawValue.lowercased()).")
        }
    }

    func run() throws {
        let start: DesNetFinetuning.Request.Start
        switch origin {
        case .modelFile: start = .modelFile(path: source!, architecture: arch)
        case .archive, .stored:
            if let desNet = try storedDesNet() {
                start = desNet
            } else {
                guard let depth = depth ?? strategy.explicitDepth else {
                    throw ValidationError("Give --depth (or an explicit --layers-source).")
                }
                start = .learngene(
                    try LearngeneArgument(reference: source, store: store).open(.write), depth: depth,
                    recipe: try strategy.recipe())
            }
        case .scratch:
            let opened = try store.open(.create)
            if opened.created {
                FileHandle.standardError.write(Data("created store at \(opened.layout.root.path)\n".utf8))
            }
            start = .scratch(architecture: arch, depth: depth ?? strategy.explicitDepth!, store: opened)
        }
        var request = DesNetFinetuning.Request(start: start, tool: "lgreg \(Lgreg.version)")
        request.tag = tag
        request.dtype = dtype
        request.output = options.output
        request.seed = strategy.seed
        request.settings = options.settings
        let measuring = EvaluationSettings(progress: TerminalProgress.reporter)
        let result = try DesNetFinetuning.run(request, evaluation: measuring, progress: TrainingProgressBar.make())
        try options.render(result, summary: summary(result))
    }

    /// The line that says what the run recorded or wrote, and the test top-1 before and after.
    private func summary(_ result: DesNetFinetuning.Result) -> String {
        switch result {
        case .stopped(let stopped): return options.summary(stopped)
        case .modelFile(let tuned):
            return "wrote \(tuned.output) (depth \(tuned.depth)): test top-1 "
                + String(format: "%.2f%% untuned → %.2f%%", tuned.untunedAccuracy * 100, tuned.evalAccuracy * 100)
                + " after \(Plural.count(tuned.epochs, "epoch"))"
        case .desNet(let tuned, let config):
            let place = [tuned.tag.map { "recorded \($0)" }, tuned.output.map { "wrote \($0)" }].compactMap { $0 }
            let limit = options.evalLimit.map { " on the first \($0) images" } ?? ""
            let untuned =
                config.lineage.initialization == .scratch
                ? "" : String(format: ", %.2f%% untuned", 100 * tuned.untunedAccuracy) + limit
            return "\(place.joined(separator: ", ")) (depth \(tuned.depth), \(tuned.strategy), "
                + "\(Plural.count(tuned.epochs, "epoch"))): test top-1 "
                + String(
                    format: "%.2f%% (%d/%d images)", 100 * tuned.tunedTop1, config.result.correct,
                    config.result.images) + untuned
        }
    }
}

/// `--dtype f16`: a safetensors element type by its name, in either case.
extension DType: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
    public static var allValueStrings: [String] { allCases.filter(\.isFloatingPoint).map { $0.rawValue.lowercased() } }
}
