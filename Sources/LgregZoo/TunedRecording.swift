import Foundation
import LgregArchitecture
import LgregCore
import LgregResolver
import LgregRuntime
import LgregStore
import SafeTensors

/// Records a Des-Net fine-tuned outside lgreg (in PyTorch, on a GPU) as a tuned Des-Net (`lgreg record`): its
/// weights are checked tensor by tensor against the Des-Net it started from, measured on the whole test set (the
/// figure `verify` re-measures), and stored with a lineage that points at the learngene and the untuned Des-Net.
public enum TunedRecording {
    /// What the weights started from.
    public enum Base {
        /// A Des-Net recorded in the store (`lgreg materialize`), with its manifest digest.
        case desNet(StoredDesNet.Opened, digest: Digest)
        /// A stored learngene's Des-Net of `depth`, planned as `materialize` plans it (and recorded if the store
        /// does not hold it yet).
        case learngene(StoredLearngene, source: ManifestSource, depth: Int, recipe: DesNetRecipe)
    }

    /// What to record.
    public struct Request {
        /// A safetensors file of the tuned weights, under timm's names (a timm model's `state_dict()`) or lgreg's.
        public var weights: String
        public var base: Base
        /// The recipe as the trainer gave it.
        public var recipe: ExternalRecipe
        /// The tuned Des-Net's tag (default: the untuned Des-Net's tag, then `-tuned-` and 12 hex digits of the
        /// weights' SHA-256).
        public var tag: String?
        /// A top-1 the caller measured (a fraction); refused when lgreg's measurement differs by more than
        /// `tolerance`.
        public var claimedTop1: Double?
        public var tolerance: Double = 0.005
        /// `lgreg <version>`.
        public var tool: String

        public init(weights: String, base: Base, recipe: ExternalRecipe, tool: String) {
            self.weights = weights
            self.base = base
            self.recipe = recipe
            self.tool = tool
        }
    }

    /// What was recorded (`Schemas/record-result.schema.json`).
    public struct Recorded: Codable, Equatable, Sendable {
        public var schemaVersion = 1
        public var tag: String
        public var digest: String
        public var depth: Int
        public var strategy: String
        /// The learngene's manifest digest, and the untuned Des-Net the weights started from.
        public var learngene: String
        public var untunedDesNet: String
        /// lgreg's measurement on `evalSet`, and the caller's figure when given.
        public var top1: Double
        public var claimedTop1: Double?
        public var correct: Int
        public var images: Int
        public var evalSet: String
    }

    /// Checks the weights against the base, measures them on the whole of `testSet` (`evalSet` names it as
    /// `verify` loads it again) and records them in `store`. Nothing is written before every check has passed.
    /// - Throws: `ZooError.weightsDoNotFitBase` naming the first tensor that does not fit;
    ///   `ZooError.claimedTop1Differs`; `StoreError.tagExists` for a tag already taken; the store's errors.
    public static func run(
        _ request: Request, in store: LearngeneStore, testSet: ImageDataSet,
        evalSet: String = TunedDesNet.evalSet, settings: EvaluationSettings
    ) throws -> Recorded {
        let (net, learngene, untuned) = try untunedDesNet(request.base, in: store, tool: request.tool)
        let file = try SafeTensorsFile(path: request.weights)
        let weights = try lgregNamed(file, fitting: net, base: untuned.tag)
        let lineage = TunedDesNet.Lineage(
            initialization: .learngene, desNet: net.lineage, learngeneReference: learngene.tags.first,
            untunedDesNetDigest: untuned.digest.description)
        let weightsDigest = try Digest.ofFile(URL(fileURLWithPath: file.path)).digest
        let tag = request.tag ?? defaultTag(untuned.tag, weights: weightsDigest)
        try LearngeneStore.checkTag(tag)
        if let taken = try store.entries().first(where: { $0.reference == tag }) {
            throw StoreError.tagExists(reference: tag, existing: taken.digest)
        }
        let measured = try TunedDesNet.measure(
            SafeTensorsFile(data: weights, label: request.weights), architecture: net.architecture, on: testSet,
            settings: settings, label: "measure on \(evalSet)")
        let result = MeasuredResult(evalSet: evalSet, result: measured)
        if let claimed = request.claimedTop1, abs(claimed - result.top1) > request.tolerance {
            throw ZooError.claimedTop1Differs(
                file: request.weights, claimed: claimed, measured: result.top1, evalSet: evalSet,
                tolerance: request.tolerance)
        }
        let config = TunedDesNet.Config(
            architecture: net.architecture, depth: net.depth, lineage: lineage, recipe: nil,
            externalRecipe: request.recipe, result: result, tool: request.tool)
        let digest = try TunedDesNet.record(config, weights: weights, base: learngene.digest, in: store, tag: tag)
        return Recorded(
            tag: tag, digest: digest.description, depth: net.depth, strategy: net.lineage.strategy.rawValue,
            learngene: learngene.digest.description, untunedDesNet: untuned.digest.description, top1: result.top1,
            claimedTop1: request.claimedTop1, correct: result.correct, images: result.images,
            evalSet: result.evalSet)
    }

    /// The untuned Des-Net the weights started from, its learngene, and its record in the store (made now for a
    /// learngene's Des-Net the store does not hold yet).
    private static func untunedDesNet(_ base: Base, in store: LearngeneStore, tool: String) throws -> (
        DesNet, StoredLearngene, (digest: Digest, tag: String)
    ) {
        switch base {
        case .desNet(let opened, let digest):
            let tag = try store.entries().first { $0.digest == digest }?.reference ?? digest.description
            return (opened.net, opened.learngene, (digest, tag))
        case .learngene(let learngene, let source, let depth, let recipe):
            let net = try Materializer.plan(
                source, depth: depth, strategy: recipe.strategy, head: .keep, pooling: recipe.pooling,
                seed: recipe.seed, allowDropStages: recipe.allowDropStages)
            if let digest = TunedDesNet.recordedUntuned(net, learngene: learngene, in: store) {
                let tag = try store.entries().first { $0.digest == digest }?.reference ?? digest.description
                return (net, learngene, (digest, tag))
            }
            return (net, learngene, try StoredDesNet.record(net, from: learngene, in: store, tool: tool))
        }
    }

    /// `file`'s tensors under lgreg's names, each checked to be one of `net`'s (by its timm or lgreg name) with
    /// its shape, in F32 or the dtype `net` holds it in; every tensor of `net` present, none besides.
    static func lgregNamed(_ file: SafeTensorsFile, fitting net: DesNet, base: String) throws -> Data {
        let architecture = net.architecture
        func refuse(_ tensor: String, _ problem: String) -> ZooError {
            .weightsDoNotFitBase(file: file.path, base: base, tensor: tensor, problem: problem)
        }
        let expected = Set(net.tensors.flatMap { [$0.name, architecture.timmName($0.name)] })
        if let extra = file.tensors.first(where: { !expected.contains($0.name) }) {
            throw refuse(extra.name, "is not a tensor of the base Des-Net (depth \(net.depth))")
        }
        var writer = SafeTensorsWriter()
        for tensor in net.tensors {
            let timmName = architecture.timmName(tensor.name)
            let given = (timmName == tensor.name ? [timmName] : [timmName, tensor.name]).filter(file.contains)
            guard let name = given.first else {
                let expected = "shape \(tensor.shape), \(tensor.dtype.rawValue)"
                throw refuse(timmName, "is missing (the base has it with \(expected))")
            }
            if given.count > 1 { throw refuse(name, "is given twice, also as '\(tensor.name)'") }
            let info = try file.info(name)
            guard info.shape == tensor.shape else {
                throw refuse(name, "has shape \(info.shape); the base has \(tensor.shape)")
            }
            guard info.dtype == .f32 || info.dtype == tensor.dtype else {
                let held = "the base holds it as \(tensor.dtype.rawValue)"
                throw refuse(name, "is \(info.dtype.rawValue); \(held) (save it as F32: .float())")
            }
            try writer.add(tensor.name, dtype: info.dtype, shape: info.shape, bytes: Array(try file.bytes(name)))
        }
        return try writer.serialized()
    }

    /// `<untuned tag>-tuned-<12 hex digits of the weights' SHA-256>`, its version cut to stay within 128 characters.
    static func defaultTag(_ untuned: String, weights: Digest) -> String {
        let suffix = "-tuned-" + weights.hex.prefix(12)
        let parts = untuned.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return "tuned:\(weights.hex.prefix(12))" }
        return parts[0] + ":" + String(parts[1].prefix(128 - suffix.count)) + suffix
    }
}
