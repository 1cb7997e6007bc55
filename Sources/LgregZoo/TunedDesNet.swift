import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregResolver
import LgregRuntime
import LgregStore
import SafeTensors

/// A fine-tuned Des-Net (or a Des-Net trained from scratch) recorded in the store: an OCI manifest whose layer
/// is the tuned weights (one safetensors blob, lgreg names) and whose config blob (`TunedDesNet.Config`,
/// `Schemas/tuned-desnet-config.schema.json`) holds its lineage, its training recipe and its top-1 on the whole
/// test set. A tuned Des-Net's `org.opencontainers.image.base.digest` is the learngene it was expanded from;
/// one trained from scratch has no base.
public enum TunedDesNet {
    /// `artifactType` of a tuned Des-Net manifest.
    public static let artifactType = EntryKind.tuned.artifactType
    /// Media type of its config blob.
    public static let configMediaType = "application/vnd.lgreg.desnet.tuned.config.v1+json"
    /// The data set the recorded top-1 is measured on, as `verify` re-measures it.
    public static let evalSet = "fashion-mnist:test"

    /// What the config blob says (`Schemas/tuned-desnet-config.schema.json`).
    public struct Config: Codable, Equatable, Sendable {
        /// The newest format version this build reads and writes: 2 adds `externalRecipe` (weights tuned
        /// elsewhere, `lgreg record`), and a config without one is still written as version 1.
        public static let currentVersion = 2

        public var schemaVersion: Int
        /// The Des-Net's architecture (its head, pooling and class token as trained).
        public var architecture: ViTArchitecture
        /// Number of blocks.
        public var depth: Int
        public var lineage: Lineage
        /// lgreg's training configuration (`Schemas/training-config.schema.json`): epochs, learning rates, batch,
        /// seed, augmentation and the training set's digest; nil for weights tuned elsewhere.
        public var recipe: Recipe?
        /// The recipe of weights tuned elsewhere, stored as given (`lgreg record --recipe`); nil for lgreg's own.
        public var externalRecipe: ExternalRecipe?
        /// The tuned weights' top-1 on `result.evalSet`.
        public var result: MeasuredResult
        /// `lgreg <version>`.
        public var tool: String

        public init(
            architecture: ViTArchitecture, depth: Int, lineage: Lineage, recipe: Recipe?,
            externalRecipe: ExternalRecipe? = nil, result: MeasuredResult, tool: String
        ) {
            schemaVersion = externalRecipe == nil ? 1 : Config.currentVersion
            self.externalRecipe = externalRecipe
            self.architecture = architecture
            self.depth = depth
            self.lineage = lineage
            self.recipe = recipe
            self.result = result
            self.tool = tool
        }

        /// Pretty JSON with sorted keys.
        public func encoded() throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return try encoder.encode(self)
        }

        /// Decodes a config blob, refusing a version this build does not know.
        /// - Throws: `ZooError.invalidTunedConfig` naming the blob and what is wrong.
        public static func decode(_ data: Data, file: String) throws -> Config {
            struct Probe: Decodable { var schemaVersion: Int? }
            guard let probe = try? JSONDecoder().decode(Probe.self, from: data) else {
                throw ZooError.invalidTunedConfig(file: file, reason: "is not a JSON object")
            }
            guard let version = probe.schemaVersion, (1...currentVersion).contains(version) else {
                throw ZooError.invalidTunedConfig(
                    file: file,
                    reason:
                        "schemaVersion is \(probe.schemaVersion.map(String.init) ?? "missing"); this lgreg reads versions 1 to \(currentVersion)"
                )
            }
            let config: Config
            do { config = try StrictJSONDecoder().decode(Config.self, from: data) } catch {
                throw ZooError.invalidTunedConfig(file: file, reason: String(describing: error).prefix(300) + "")
            }
            guard (config.recipe == nil) != (config.externalRecipe == nil) else {
                throw ZooError.invalidTunedConfig(
                    file: file, reason: "it needs exactly one of recipe and externalRecipe")
            }
            guard version >= 2 || config.externalRecipe == nil else {
                throw ZooError.invalidTunedConfig(file: file, reason: "externalRecipe needs schemaVersion 2")
            }
            return config
        }
    }

    /// Where the tuned weights started from (the vocabulary's `TunedLineage`).
    public typealias Lineage = TunedLineage
    /// The training recipe as recorded (the vocabulary's `TrainingRecipe`).
    public typealias Recipe = TrainingRecipe

    // MARK: Building

    /// The planned Des-Net's tensors as a safetensors file in memory (lgreg names): the weights fine-tuning starts from.
    public static func initialWeights(of net: DesNet) throws -> SafeTensorsFile {
        var writer = SafeTensorsWriter()
        for tensor in net.tensors {
            let bytes = try tensor.withBytes { Array($0) }
            try writer.add(tensor.name, dtype: tensor.dtype, shape: tensor.shape, bytes: bytes)
        }
        return try SafeTensorsFile(
            data: try writer.serialized(), label: "Des-Net depth \(net.depth) (\(net.lineage.strategy.rawValue))")
    }

    /// The default tag of a Des-Net tuned from a stored learngene: the materialized Des-Net's tag
    /// (`StoredDesNet.defaultTag`), then `-s<seed>` when the training seed is not 0 and the tag holds no seed yet,
    /// then `-ft<epochs>`: `aux-b-d14:0.1.0-cyclic-front-mid-last-ft1`.
    public static func defaultTag(_ net: DesNet, learngene: LearngeneManifest, seed: UInt64, epochs: Int) -> String {
        let base = StoredDesNet.defaultTag(net, learngene: learngene)
        let suffix = (net.lineage.seed == nil && seed != 0 ? "-s\(seed)" : "") + "-ft\(epochs)"
        return withVersionSuffix(base, suffix)
    }

    /// The default tag of a Des-Net trained from scratch: `scratch-<arch>-d<depth>:s<seed>-ft<epochs>`, e.g.
    /// `scratch-fmnist-tiny-d12:s0-ft10` (`arch` is the preset's name or the architecture file's, lower-cased, other
    /// characters replaced by `-`).
    public static func scratchTag(arch: String, depth: Int, seed: UInt64, epochs: Int) -> String {
        let file = URL(fileURLWithPath: arch).deletingPathExtension().lastPathComponent.lowercased()
        let cleaned = String(
            file.map { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "_" ? $0 : "-" }
        )
        .trimmingCharacters(in: CharacterSet(charactersIn: "-._"))
        let name = "scratch-\(cleaned.isEmpty ? "vit" : String(cleaned.prefix(100)))-d\(depth)"
        return "\(name):s\(seed)-ft\(epochs)"
    }

    /// `tag` with `suffix` added to its version, the version cut so that it stays within 128 characters.
    private static func withVersionSuffix(_ tag: String, _ suffix: String) -> String {
        let parts = tag.split(separator: ":", maxSplits: 1).map(String.init)
        return parts[0] + ":" + String(parts[1].prefix(128 - suffix.count)) + suffix
    }

    /// The recorded (untuned) Des-Net of `learngene` with the same lineage as `net`, if the store holds one.
    public static func recordedUntuned(_ net: DesNet, learngene: StoredLearngene, in store: LearngeneStore) -> Digest? {
        let candidates = (try? store.materializations(of: learngene.digest)) ?? []
        return candidates.reversed().first { candidate in
            guard candidate.depth == net.depth, candidate.strategy == net.lineage.strategy.rawValue,
                let image = store.storedImageManifest(candidate.desNetDigest),
                image.artifactType == StoredDesNet.artifactType,
                let bytes = try? store.readBlob(image.config.digest),
                let config = try? JSONDecoder().decode(TimmConfig.self, from: bytes)
            else { return false }
            return config.lgreg.lineage == net.lineage && config.lgreg.pooling == net.architecture.pooling
        }?.desNetDigest
    }

    // MARK: Measuring and recording

    /// Top-1 and loss of `weights` (lgreg or timm names) as a ViT of `architecture` on the whole of `dataSet`, in
    /// index order: the figure `record` stores and `verify` re-measures.
    public static func measure(
        _ weights: SafeTensorsFile, architecture: ViTArchitecture, on dataSet: ImageDataSet,
        settings: EvaluationSettings, label: String
    ) throws -> EvaluationResult {
        let model = try ViTModel(parameters: try ViTParameters(file: weights, architecture: architecture))
        return try Evaluation.run(
            ViTRunner(model: model, maxBatch: settings.batchSize), on: dataSet, limit: nil,
            progress: settings.progress(label))
    }

    /// Records tuned weights under `tag`: the weights as a new blob, `config` as the config blob, the learngene
    /// `base` as the manifest's base (nil from scratch).
    /// - Returns: the tuned Des-Net manifest's digest.
    @discardableResult
    public static func record(_ config: Config, weights: Data, base: Digest?, in store: LearngeneStore, tag: String)
        throws -> Digest
    {
        let training = TrainingRecipe.span(config.recipe, external: config.externalRecipe)
        let title =
            config.lineage.initialization == .scratch
            ? "Des-Net depth \(config.depth) trained from scratch \(config.recipe == nil ? "" : "for ")\(training)"
            : "Des-Net depth \(config.depth), \(config.lineage.strategy), tuned \(training)"
        return try store.writeTrained(
            TrainedArtifact(
                reference: tag, artifactType: artifactType, config: try config.encoded(),
                configMediaType: configMediaType,
                weights: [.init(title: "model.safetensors", bytes: weights)], base: base,
                annotations: [OCIAnnotation.title: title]))
    }

    /// A tuned Des-Net read back from the store.
    public struct Stored {
        public var entry: DerivedEntry
        public var config: Config

        /// The tuned weights, their blob's digest checked first.
        public func weights(in store: LearngeneStore) throws -> SafeTensorsFile {
            guard let blob = entry.image.layers.first, entry.image.layers.count == 1 else {
                throw ZooError.invalidTunedConfig(
                    file: entry.reference, reason: "the manifest lists \(entry.image.layers.count) weight blobs, not 1")
            }
            try store.verifyBlob(blob.digest)
            return try SafeTensorsFile(path: store.layout.blob(blob.digest).path)
        }
    }

    /// The tuned Des-Net `entry` is, its config read.
    /// - Throws: `StoreError.notFound` for another kind of entry; `ZooError.invalidTunedConfig` for a config this
    ///   build cannot read.
    public static func open(_ entry: DerivedEntry, in store: LearngeneStore) throws -> Stored {
        guard entry.image.artifactType == artifactType else {
            throw StoreError.notFound(reference: "\(entry.reference) (a \(entry.kind) entry, not a tuned Des-Net)")
        }
        return Stored(
            entry: entry,
            config: try Config.decode(entry.config, file: store.layout.blob(entry.image.config.digest).path))
    }

    /// The tuned Des-Net `reference` names.
    public static func open(_ reference: String, in store: LearngeneStore) throws -> Stored {
        guard case .derived(let entry) = try ResolvedEntry.resolve(reference, in: store) else {
            throw StoreError.notFound(reference: "\(reference) (a learngene, not a tuned Des-Net)")
        }
        return try open(entry, in: store)
    }

    /// The tags of every tuned Des-Net in the store, with the learngene each derives from (nil from scratch).
    public static func all(in store: LearngeneStore) throws -> [(reference: String, base: Digest?)] {
        try store.entries().filter { $0.artifactType == artifactType }.map { ($0.reference, $0.base) }
    }
}

extension MeasuredResult {
    /// The figures of an evaluation over the whole of `evalSet`.
    public init(evalSet: String, result: EvaluationResult) {
        self.init(
            evalSet: evalSet, top1: Top1(correct: result.correct, of: result.images).fraction, loss: result.meanLoss,
            correct: result.correct, images: result.images)
    }
}
