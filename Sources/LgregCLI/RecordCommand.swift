import ArgumentParser
import Foundation
import LgregCore
import LgregRuntime
import LgregStore
import LgregVocabulary
import LgregZoo

/// `lgreg record tuned.safetensors --base aux-d12:…`: a Des-Net fine-tuned elsewhere (PyTorch, a GPU) recorded
/// back as a tuned Des-Net, its tensors checked against where it started and its top-1 measured by lgreg.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a Des-Net fine-tuned elsewhere (PyTorch, timm) as a tuned Des-Net with its lineage.",
        discussion: """
            WEIGHTS is a safetensors file of the tuned weights under timm's names (what `save_file(model.state_dict(), …)` \
            writes for the timm model `lgreg materialize --output` or `lgreg export` built) or lgreg's. --base is what \
            they started from: a recorded Des-Net (its tag or digest), or a stored learngene with --depth and the \
            --strategy/--order/--seed it was expanded with (that Des-Net is recorded too when the store lacks it). \
            Every tensor's name, shape and dtype is checked against the base first (F32, or the dtype the base holds); \
            then lgreg measures the top-1 on all 10,000 Fashion-MNIST test images and records the weights as a tuned \
            Des-Net whose lineage points at the learngene and the untuned Des-Net, with --recipe (a JSON object) stored \
            as given. A --top1 the trainer measured is checked against lgreg's figure (within --tolerance) before \
            anything is written. `lgreg verify` then re-measures it like any tuned Des-Net. The default tag is the \
            untuned Des-Net's with -tuned-<12 hex digits of the weights' SHA-256>. --json follows \
            Schemas/record-result.schema.json. The Python package (python/, `Store.record_finetuned`) calls this. \
            Exit status: 0 recorded; 1 the given --top1 differs, or the tag is taken; 64 usage, an unknown base; \
            65 weights that do not fit the base; 74 I/O error.
            """)

    @Argument(help: "The tuned weights: a .safetensors file (timm or lgreg names).")
    var weights: String
    @Option(help: "What the weights started from: a recorded Des-Net, or a stored learngene with --depth.")
    var base: String
    @Option(help: "With a learngene --base: the Des-Net's depth.")
    var depth: Int?
    @OptionGroup var strategy: StrategyOptions
    @Option(help: "A JSON file holding the training recipe as an object, stored as given.")
    var recipe: String?
    @Option(name: .customLong("trained-with"), help: "What trained the weights, e.g. 'torch 2.5.1'.")
    var trainedWith: String?
    @Option(help: "Tag of the recorded tuned Des-Net (default: see above).")
    var tag: String?
    @Option(help: "The top-1 the trainer measured on the Fashion-MNIST test set, a fraction in [0, 1].")
    var top1: Double?
    @Option(help: "How far --top1 may be from lgreg's measurement (a fraction).")
    var tolerance = 0.005
    @OptionGroup var evaluation: EvaluationOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption

    func validate() throws {
        if let top1, !(0...1).contains(top1) { throw ValidationError("--top1 is a fraction in [0, 1], got \(top1).") }
        if !(0...1).contains(tolerance) { throw ValidationError("--tolerance is a fraction in [0, 1].") }
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1, got \(depth).") }
    }

    func run() throws {
        let opened = try store.open(.write)
        var request = TunedRecording.Request(
            weights: weights, base: try resolveBase(in: opened),
            recipe: ExternalRecipe(trainedWith: trainedWith, settings: try recipeSettings()),
            tool: "lgreg \(Lgreg.version)")
        request.tag = tag
        request.claimedTop1 = top1
        request.tolerance = tolerance
        let testSet = try DataSpec.fashionMNIST(.test).load(directory: evaluation.dataDirectory)
        let settings = EvaluationSettings(batchSize: evaluation.batchSize, progress: TerminalProgress.reporter)
        let recorded = try TunedRecording.run(request, in: opened, testSet: testSet, settings: settings)
        if output.json { return try printJSON(recorded) }
        print(
            "recorded \(recorded.tag) (depth \(recorded.depth), \(recorded.strategy), from \(Digest(recorded.untunedDesNet)?.short ?? recorded.untunedDesNet)): "
                + String(
                    format: "top-1 %.2f%% (%d/%d images) on ", 100 * recorded.top1, recorded.correct, recorded.images)
                + recorded.evalSet)
    }

    /// The base as `TunedRecording` takes it: a recorded Des-Net, or a stored learngene with a depth.
    private func resolveBase(in opened: LearngeneStore) throws -> TunedRecording.Base {
        if let (model, entry) = try StoredModel.named(base, store: { opened }) {
            guard case .desNet(let desNet) = model else {
                throw ZooError.notABase(
                    reference: base, reason: "it is a tuned Des-Net; name the Des-Net it was tuned from")
            }
            if depth != nil || strategy.strategy != nil || strategy.order != nil || strategy.layersSource != nil {
                throw ValidationError(
                    "'\(base)' is a Des-Net: it has its depth and strategy; drop --depth, --strategy, --order and --layers-source."
                )
            }
            return .desNet(desNet, digest: entry.digest)
        }
        if OpenedLearngene.isArchivePath(base) {
            throw ZooError.notABase(reference: base, reason: "an archive is not in the store; lgreg publish it first")
        }
        let learngene = try OpenedLearngene.open(base, store: { opened })
        guard let stored = learngene.stored else {
            throw ZooError.notABase(reference: base, reason: "it is not in the store")
        }
        guard let depth = depth ?? strategy.explicitDepth else {
            throw ValidationError(
                "'\(base)' is a learngene: give the Des-Net's --depth (and --strategy/--order/--seed).")
        }
        return .learngene(stored, source: learngene.source, depth: depth, recipe: try strategy.recipe())
    }

    /// The --recipe file's JSON object; empty without one.
    private func recipeSettings() throws -> [String: JSONValue] {
        guard let recipe else { return [:] }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: recipe)) } catch {
            throw ValidationError("--recipe \(recipe): cannot be read (\(error.localizedDescription)).")
        }
        guard case .object(let settings)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw ValidationError("--recipe \(recipe): not a JSON object.")
        }
        return settings
    }
}
