import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import SafeTensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `config.json` written beside an exported `model.safetensors` (`Schemas/timm-config.schema.json`), in
/// the form timm's own `push_to_hf_hub` writes, so `timm.create_model("local-dir:DIR", pretrained=True)` and
/// `timm.create_model("hf-hub:USER/REPO", pretrained=True)` load the folder as it is: `architecture` a timm
/// model name, `model_args` the arguments that override its shape, `pretrained_cfg` the input size and
/// normalization; and an `lgreg` section with the pooling order and the lineage. Readers refuse an
/// `lgreg.schemaVersion` they do not know.
public struct TimmConfig: Codable, Equatable, Sendable {
    /// The version of the format this build reads and writes (2: timm's `pretrained_cfg` and a registered
    /// `architecture`; version 1 said `vit_custom`, which timm does not know).
    public static let currentVersion = 2

    /// timm's `VisionTransformer` arguments (snake case, as timm spells them). Every shape argument is given, so
    /// they override whatever the registered `architecture` would build.
    public struct ModelArgs: Codable, Equatable, Sendable {
        public var imgSize: Int
        public var patchSize: Int
        public var inChans: Int
        public var embedDim: Int
        public var depth: Int
        public var numHeads: Int
        public var mlpRatio: Double
        public var qkvBias: Bool
        public var classToken: Bool
        /// `avg` (no class token) or `token`.
        public var globalPool: String
        /// `false`: LayerNorm every token, then pool (`norm.*`); `true`: pool, then LayerNorm (`fc_norm.*`).
        public var fcNorm: Bool

        enum CodingKeys: String, CodingKey {
            case imgSize = "img_size"
            case patchSize = "patch_size"
            case inChans = "in_chans"
            case embedDim = "embed_dim"
            case depth
            case numHeads = "num_heads"
            case mlpRatio = "mlp_ratio"
            case qkvBias = "qkv_bias"
            case classToken = "class_token"
            case globalPool = "global_pool"
            case fcNorm = "fc_norm"
        }
    }

    /// timm's `PretrainedCfg` fields for the weights: what input they expect and which modules are the
    /// first convolution and the classifier (timm adapts or drops those when channels or classes differ).
    public struct PretrainedConfig: Codable, Equatable, Sendable {
        /// [channels, height, width].
        public var inputSize: [Int]
        /// Always true: a ViT's position embedding fixes the input size.
        public var fixedInputSize: Bool
        /// Per-channel mean and standard deviation of the normalization `(pixel − mean) / std` (pixels in [0, 1]).
        public var mean: [Double]
        public var std: [Double]
        public var numClasses: Int
        /// The fraction of the resized image the evaluation crop keeps.
        public var cropPct: Double
        public var cropMode: String
        public var interpolation: String
        public var firstConv: String
        public var classifier: String

        enum CodingKeys: String, CodingKey {
            case inputSize = "input_size"
            case fixedInputSize = "fixed_input_size"
            case mean, std
            case numClasses = "num_classes"
            case cropPct = "crop_pct"
            case cropMode = "crop_mode"
            case interpolation
            case firstConv = "first_conv"
            case classifier
        }
    }

    /// What lgreg adds: the pooling order in its own words, the input normalization by name, and where the
    /// weights came from.
    public struct LgregSection: Codable, Equatable, Sendable {
        public var schemaVersion: Int
        /// The pooling order the weights are stated for (`avg-norm-first`, `avg` or `cls`).
        public var pooling: Pooling
        /// LayerNorm epsilon (timm's ViT uses 1e-6).
        public var layerNormEps: Double
        /// The normalization `pretrained_cfg` states, by name.
        public var normalization: InputNormalization
        /// Parameters in `model.safetensors`.
        public var parameters: Int
        public var lineage: Lineage
        /// A tuned Des-Net's record (recipe, recorded top-1, the entry it was exported from); absent when untuned.
        public var tuned: TuningRecord?
        /// `lgreg <version>`.
        public var tool: String
    }

    /// A registered timm ViT (`vit_base_patch16_224`): the one of the same width and heads, else the base one;
    /// `model_args` override its shape.
    public var architecture: String
    public var numClasses: Int
    public var numFeatures: Int
    public var globalPool: String
    public var modelArgs: ModelArgs
    public var pretrainedConfig: PretrainedConfig
    public var lgreg: LgregSection

    enum CodingKeys: String, CodingKey {
        case architecture
        case numClasses = "num_classes"
        case numFeatures = "num_features"
        case globalPool = "global_pool"
        case modelArgs = "model_args"
        case pretrainedConfig = "pretrained_cfg"
        case lgreg
    }

    /// timm's registered ViT names by (width, heads); their entry points set only patch size, width, depth and
    /// heads, which `model_args` override.
    static let registeredNames: [Int: (name: String, heads: Int)] = [
        192: ("vit_tiny_patch16_224", 3), 384: ("vit_small_patch16_224", 6), 768: ("vit_base_patch16_224", 12),
    ]

    /// The config of `net`; `tool` names the writer (`lgreg 0.1.0`); `tuning` what fine-tuning made of it.
    public init(_ net: DesNet, tool: String, tuning: TuningRecord? = nil) {
        let a = net.architecture
        let args = ModelArgs(
            imgSize: a.imageSize, patchSize: a.patchSize, inChans: a.inChannels, embedDim: a.width, depth: net.depth,
            numHeads: a.heads, mlpRatio: Double(a.mlpRatio), qkvBias: a.qkvBias, classToken: a.classToken,
            globalPool: a.pooling == .cls ? "token" : "avg", fcNorm: a.pooling == .avg)
        if let registered = Self.registeredNames[a.width], registered.heads == a.heads {
            architecture = registered.name
        } else {
            architecture = "vit_base_patch16_224"
        }
        let normalization = InputNormalization(inChannels: a.inChannels)
        numClasses = a.classes
        numFeatures = a.width
        globalPool = args.globalPool
        modelArgs = args
        pretrainedConfig = PretrainedConfig(
            inputSize: [a.inChannels, a.imageSize, a.imageSize], fixedInputSize: true,
            mean: normalization.mean(channels: a.inChannels), std: normalization.std(channels: a.inChannels),
            numClasses: a.classes, cropPct: normalization.cropFraction, cropMode: "center", interpolation: "bicubic",
            firstConv: "patch_embed.proj", classifier: "head")
        lgreg = LgregSection(
            schemaVersion: Self.currentVersion, pooling: a.pooling, layerNormEps: a.layerNormEps,
            normalization: normalization, parameters: net.parameterCount, lineage: net.lineage, tuned: tuning,
            tool: tool)
    }

    /// The architecture lgreg runs the exported weights with (`lgreg eval MODEL --arch DIR/config.json`).
    /// - Throws: `ResolverError.invalidFile` naming the field when the config describes no valid lgreg ViT.
    public func vitArchitecture(path: String) throws -> ViTArchitecture {
        let args = modelArgs
        guard args.mlpRatio == args.mlpRatio.rounded(),
            (1...Double(ArchitectureLimits.maxMlpRatio)).contains(args.mlpRatio)
        else {
            throw ResolverError.invalidFile(
                path: path, field: "model_args.mlp_ratio", reason: "is \(args.mlpRatio); lgreg runs whole ratios only")
        }
        let architecture = ViTArchitecture(
            imageSize: args.imgSize, patchSize: args.patchSize, inChannels: args.inChans, width: args.embedDim,
            heads: args.numHeads, mlpRatio: Int(args.mlpRatio), classes: numClasses, classToken: args.classToken,
            pooling: lgreg.pooling, layerNormEps: lgreg.layerNormEps, qkvBias: args.qkvBias)
        let stated: (globalPool: String, fcNorm: Bool) = (
            lgreg.pooling == .cls ? "token" : "avg", lgreg.pooling == .avg
        )
        guard (args.globalPool, args.fcNorm) == stated else {
            throw ResolverError.invalidFile(
                path: path, field: "model_args",
                reason: "global_pool '\(args.globalPool)' with fc_norm \(args.fcNorm) "
                    + "is not lgreg.pooling '\(lgreg.pooling.rawValue)' (which timm builds with global_pool '\(stated.globalPool)', fc_norm \(stated.fcNorm))"
            )
        }
        do { try architecture.validate() } catch let error as ArchitectureError {
            throw ResolverError.invalidFile(path: path, field: "model_args", reason: error.description)
        }
        return architecture
    }

    /// Pretty-printed JSON with sorted keys.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads and checks an export's `config.json`.
    /// - Throws: `ResolverError.invalidFile` naming the field for a malformed file or an unknown version.
    public static func read(from url: URL) throws -> TimmConfig {
        let data: Data
        do { data = try RegularFile.contents(of: url, limit: 1 << 20) } catch let error as FileSystemError {
            throw ResolverError.io(path: url.path, reason: error.reason)
        }
        return try decode(data, path: url.path)
    }

    /// Decodes and checks a config's bytes (an export's `config.json`, a stored Des-Net's config blob).
    /// - Throws: `ResolverError.invalidFile` naming `path` and the field.
    public static func decode(_ data: Data, path: String) throws -> TimmConfig {
        struct Probe: Decodable {
            struct Section: Decodable { var schemaVersion: Int? }
            var lgreg: Section?
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: data) else {
            throw ResolverError.invalidFile(path: path, field: nil, reason: "is not a JSON object")
        }
        guard let version = probe.lgreg?.schemaVersion else {
            throw ResolverError.invalidFile(path: path, field: "lgreg.schemaVersion", reason: "is missing")
        }
        guard version == currentVersion else {
            throw ResolverError.invalidFile(
                path: path, field: "lgreg.schemaVersion",
                reason: "is \(version); this lgreg reads version \(currentVersion) only")
        }
        do { return try StrictJSONDecoder().decode(TimmConfig.self, from: data) } catch let error as DecodingError {
            throw ResolverError.invalidFile(path: path, field: Self.field(of: error), reason: "\(error)")
        }
    }

    private static func field(of error: DecodingError) -> String? {
        let path: [CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        @unknown default: return nil
        }
        return path.isEmpty ? nil : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// The input normalization an export states in `pretrained_cfg`, chosen by the channel count: lgreg's one-channel
/// presets are Fashion-MNIST's, three channels are DeiT's ImageNet; any other count gets none.
public enum InputNormalization: String, Codable, Equatable, Sendable {
    /// mean 0.2860, std 0.3530 (what `lgreg eval` applies to Fashion-MNIST), no crop.
    case fashionMNIST = "fashion-mnist"
    /// ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), DeiT's 0.875 evaluation crop.
    case imageNet = "imagenet"
    /// mean 0, std 1, no crop.
    case none

    /// The normalization for images of `inChannels` channels.
    public init(inChannels: Int) {
        switch inChannels {
        case 1: self = .fashionMNIST
        case 3: self = .imageNet
        default: self = .none
        }
    }

    func mean(channels: Int) -> [Double] {
        switch self {
        case .fashionMNIST: [0.2860]
        case .imageNet: [0.485, 0.456, 0.406]
        case .none: Array(repeating: 0, count: channels)
        }
    }

    func std(channels: Int) -> [Double] {
        switch self {
        case .fashionMNIST: [0.3530]
        case .imageNet: [0.229, 0.224, 0.225]
        case .none: Array(repeating: 1, count: channels)
        }
    }

    var cropFraction: Double { self == .imageNet ? 0.875 : 1 }
}

/// The `README.md` beside an export: a Hugging Face model card with the YAML front matter the Hub reads (library,
/// a licence identifier the Hub accepts, tags, `datasets`, `model-index` with every declared or recorded top-1, so
/// the Hub shows its results widget, and `learngene_lineage`: the learngene is not a Hub model, so `base_model`
/// cannot name it), the lineage, the accuracy the learngene declares at this depth, and how to load it exactly
/// (timm's `config.json` cannot state a LayerNorm epsilon: the card passes it).
public struct ModelCard: Equatable, Sendable {
    /// The learngene's `name:version`, when known.
    public var learngene: String?
    /// The learngene's licence (an SPDX identifier), when known.
    public var license: String?
    /// The learngene's declared results at this Des-Net's depth and strategy.
    public var declared: [LearngeneManifest.DeclaredResult]
    /// What fine-tuning made of the Des-Net, for a tuned one.
    public var tuning: TuningRecord?
    /// True when the learngene's weights are random (`lgreg init --random`): never trained.
    public var randomWeights: Bool

    /// The card for a Des-Net of `manifest` (nil: a learngene with no manifest, such as a test's, or none at all
    /// for a Des-Net trained from scratch), tuned as `tuning` says.
    public init(net: DesNet, manifest: LearngeneManifest?, tuning: TuningRecord? = nil) {
        learngene = manifest?.reference ?? tuning?.lineage.learngeneReference
        license = manifest?.license
        self.tuning = tuning
        randomWeights = manifest?.provenance.trained == false
        declared = (manifest?.results ?? []).filter { $0.network?.describes(net.lineage, depth: net.depth) == true }
    }

    /// What the weights are, for a tuned Des-Net's card.
    static func tunedSummary(_ tuning: TuningRecord) -> String {
        let start =
            tuning.lineage.initialization == .scratch
            ? "trained from scratch (random weights)" : "built by lgreg from a learngene, then fine-tuned"
        let training =
            (tuning.recipe == nil ? "" : "for ") + TrainingRecipe.span(tuning.recipe, external: tuning.externalRecipe)
        let data = tuning.recipe.map { " on \($0.images) images of \($0.dataset)" } ?? ""
        return
            "\(start) \(training)\(data); top-1 \(tuning.result.accuracy.percentText) "
            + "on \(tuning.result.evalSet) as recorded."
    }

    /// The card's fine-tuning section: the recorded top-1 and the recipe.
    static func tuningSection(_ tuning: TuningRecord) -> [String] {
        let result = tuning.result
        let head = [
            "", "## Fine-tuning", "", "| | |", "|---|---|",
            "| Store entry | `\(tuning.entryDigest)` |",
            "| Started from | \(tuning.lineage.initialization == .scratch ? "random weights" : "the untuned Des-Net below")"
                + "\(tuning.lineage.untunedDesNetDigest.map { " (`\($0)`)" } ?? "") |",
            "| Recorded top-1 | \(result.accuracy.percentText) on \(result.evalSet) (\(result.correct)/\(result.images); `lgreg verify` re-measures it) |",
        ]
        guard let r = tuning.recipe else {
            let external = tuning.externalRecipe
            return head + [
                "| Trained with | \(external?.trainedWith ?? "not said") (outside lgreg; recorded with `lgreg record`) |",
                "| Recipe as given | `\(JSONValue.object(external?.settings ?? [:]).description.replacingOccurrences(of: "|", with: "\\|"))` |",
            ]
        }
        return head + [
            "| Epochs | \(r.epochs) (\(r.warmupEpochs) warm-up) |",
            "| Learning rate | \(r.learningRate) → \(r.minLearningRate) (cosine) |",
            "| Batch, weight decay | \(r.batchSize), \(r.weightDecay) |",
            "| Label smoothing, drop path | \(r.labelSmoothing), \(r.dropPath) |",
            "| Augmentation | \(r.augmented ? "yes" : "none") |",
            "| Seed | \(r.seed) |",
            "| Training data | \(r.images) images of \(r.dataset) (`\(r.dataDigest)`) |",
        ]
    }

    /// The licence identifiers the Hub accepts in `license:` (its documented list, lower case).
    static let hubLicenses: Set<String> = [
        "apache-2.0", "mit", "openrail", "bigscience-openrail-m", "creativeml-openrail-m", "bigscience-bloom-rail-1.0",
        "bigcode-openrail-m", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd", "bsd-2-clause", "bsd-3-clause",
        "bsd-3-clause-clear", "c-uda", "cc", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0",
        "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0",
        "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0",
        "cdla-sharing-1.0", "cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0", "epl-1.0", "epl-2.0",
        "eupl-1.1", "agpl-3.0", "gfdl", "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1", "lgpl-3.0", "isc",
        "lppl-1.3c", "ms-pl", "mpl-2.0", "odc-by", "odbl", "openrail++", "osl-3.0", "postgresql", "ofl-1.1", "ncsa",
        "unlicense", "zlib", "pddl", "lgpl-lr", "llama2", "llama3", "gemma", "unknown", "other",
    ]

    /// The Hub's licence identifier: the SPDX identifier in lower case where the Hub knows it; `unknown` for none
    /// stated (SPDX `NOASSERTION`, `NONE`, empty: what `lgreg import` records by default); `other` for any other
    /// licence, which `hubLicenseName` then names.
    var hubLicense: String {
        let id = (license ?? "").lowercased()
        if id.isEmpty || id == "noassertion" || id == "none" { return "unknown" }
        return Self.hubLicenses.contains(id) ? id : "other"
    }

    /// `license_name` for an `other` licence: the SPDX expression turned into the Hub's slug form.
    var hubLicenseName: String? {
        guard hubLicense == "other", let license else { return nil }
        let slug = license.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ".") ? $0 : "-" }
        return String(slug)
    }

    /// A YAML scalar: a double-quoted JSON string (YAML reads JSON strings as they are).
    static func yaml(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
    }

    /// The Hub's data set for an lgreg evaluation or training set (`fashion-mnist:test`): its repository id, a
    /// display name and the split; an eval-set file is named as lgreg names it.
    static func hubDataset(_ set: String) -> (id: String, name: String, split: String?) {
        let parts = set.replacingOccurrences(of: "fashion-mnist-", with: "fashion-mnist:").split(separator: ":")
        if parts.first == "fashion-mnist" {
            return ("zalando-datasets/fashion_mnist", "Fashion-MNIST", parts.count > 1 ? String(parts[1]) : nil)
        }
        return (set, set, nil)
    }

    /// One `model-index` result: image classification, top-1 as a fraction in [0, 1].
    static func modelIndexResult(evalSet: String, top1: Double, name: String) -> [String] {
        let dataset = hubDataset(evalSet)
        var lines = [
            "  - task:", "      type: image-classification", "      name: Image Classification", "    dataset:",
            "      name: \(yaml(dataset.name))", "      type: \(yaml(dataset.id))",
        ]
        if let split = dataset.split { lines.append("      split: \(yaml(split))") }
        lines += [
            "    metrics:", "    - type: accuracy", "      value: \(String(format: "%.6f", top1))",
            "      name: \(yaml(name))",
        ]
        return lines
    }

    /// The YAML front matter: what the Hub indexes.
    func frontMatter(_ net: DesNet, title: String) -> [String] {
        let lineage = net.lineage
        var tags = ["image-classification", "timm", "learngene", "lgreg"]
        if lineage.learngeneKind != .plain { tags.append(lineage.learngeneKind.rawValue) }
        if randomWeights, tuning == nil { tags.append("random-weights") }
        var lines = ["---", "library_name: timm", "license: \(hubLicense)"]
        if let name = hubLicenseName { lines.append("license_name: \(Self.yaml(name))") }
        lines += ["pipeline_tag: image-classification", "tags:"] + tags.map { "- \($0)" }
        let sets =
            declared.map(\.evalSet) + (tuning.map { [$0.recipe?.dataset, $0.result.evalSet].compactMap { $0 } } ?? [])
        var datasets: [String] = []
        for set in sets.map({ Self.hubDataset($0).id }) where !datasets.contains(set) { datasets.append(set) }
        if !datasets.isEmpty { lines += ["datasets:"] + datasets.map { "- \(Self.yaml($0))" } }
        lines.append("learngene_lineage:")
        if let learngene { lines.append("  learngene: \(Self.yaml(learngene))") }
        if let digest = lineage.learngeneDigest { lines.append("  learngene_digest: \(Self.yaml(digest.description))") }
        lines.append("  learngene_kind: \(lineage.learngeneKind.rawValue)")
        lines.append("  strategy: \(lineage.strategy.rawValue)")
        if let order = lineage.order { lines.append("  order: \(Self.yaml(order))") }
        if let seed = lineage.seed { lines.append("  seed: \(seed)") }
        lines.append("  depth: \(net.depth)")
        lines.append(
            "  layer_map: [\(lineage.layerMap.map { $0.map(String.init) ?? "null" }.joined(separator: ", "))]")
        lines.append(
            "  weights: \(Self.yaml(tuning != nil ? "fine-tuned" : randomWeights ? "random, never trained" : "trained, untuned"))"
        )
        var results: [String] = []
        if let tuning {
            let span =
                tuning.recipe.map { "after \(Plural.count($0.epochs, "epoch")) of fine-tuning" }
                ?? "fine-tuned \(TrainingRecipe.span(nil, external: tuning.externalRecipe))"
            results += Self.modelIndexResult(
                evalSet: tuning.result.evalSet, top1: tuning.result.top1, name: "Top-1 \(span) (recorded)")
        }
        for result in declared {
            let strategy = result.strategy + (result.order.map { " \($0)" } ?? "")
            let when = result.tunedEpochs == 0 ? "untuned" : "tuned \(Plural.count(result.tunedEpochs, "epoch"))"
            results += Self.modelIndexResult(
                evalSet: result.evalSet, top1: result.top1,
                name: "Top-1, \(strategy), \(when)\(result.seed.map { ", seed \($0)" } ?? "") (declared)")
        }
        if !results.isEmpty { lines += ["model-index:", "- name: \(Self.yaml(title))", "  results:"] + results }
        lines.append("---")
        return lines
    }

    /// The card's Markdown for `net` written with `config`.
    public func markdown(_ net: DesNet, config: TimmConfig) -> String {
        let lineage = net.lineage
        let args = config.modelArgs
        let input = config.pretrainedConfig
        let plainTitle = "\(learngene ?? "Learngene") Des-Net, depth \(net.depth)\(tuning == nil ? "" : ", tuned")"
        let title =
            "\(learngene.map { "`\($0)`" } ?? "Learngene") Des-Net, depth \(net.depth)\(tuning == nil ? "" : ", tuned")"
        var lines = frontMatter(net, title: plainTitle)
        lines += ["", "# \(title)", ""]
        lines.append(
            "A vision transformer of \(net.depth) blocks (width \(args.embedDim), \(args.numHeads) heads, "
                + "\(args.imgSize)×\(args.imgSize)×\(args.inChans) input, \(config.numClasses) classes, "
                + "\(net.parameterCount) parameters) "
                + (tuning.map(Self.tunedSummary)
                    ?? (randomWeights
                        ? "built by lgreg from a learngene with **random weights** (`lgreg init --random`, never "
                            + "trained), untuned: it has the shape of the real model, not its accuracy."
                        : "built by lgreg from a learngene, untuned."))
        )
        if let tuning { lines += Self.tuningSection(tuning) }
        lines += ["", "## Lineage", ""]
        lines.append("| | |")
        lines.append("|---|---|")
        if let learngene { lines.append("| Learngene | `\(learngene)` |") }
        lines.append("| Learngene digest | \(lineage.learngeneDigest.map { "`\($0)`" } ?? "none (not stored)") |")
        lines.append("| Learngene kind | \(lineage.learngeneKind.rawValue) |")
        lines.append("| Strategy | \(lineage.strategy.rawValue)\(lineage.order.map { ", order \($0)" } ?? "") |")
        if let seed = lineage.seed { lines.append("| Seed | \(seed) |") }
        let map = lineage.layerMap.map { $0.map(String.init) ?? "fresh" }.joined(separator: " ")
        lines.append("| Layer map (block → learngene layer) | \(map) |")
        lines.append("| Head | \(lineage.head == .keep ? "copied from the learngene" : "fresh") |")
        lines.append(
            "| Pooling | \(config.lgreg.pooling.rawValue) (timm `global_pool='\(args.globalPool)'`, `fc_norm=\(args.fcNorm ? "True" : "False")`) |"
        )
        lines.append("| Licence | \(license ?? "not stated") |")
        lines += ["", "## Declared accuracy", ""]
        if declared.isEmpty {
            lines.append("The learngene declares no result at depth \(net.depth) for this strategy.")
        } else {
            lines.append("As the learngene's manifest declares them (`lgreg verify` re-measures them):")
            lines += ["", "| Depth | Strategy | Tuned epochs | Eval set | Top-1 |", "|---|---|---|---|---|"]
            for result in declared {
                let strategy = result.strategy + (result.order.map { " (\($0))" } ?? "")
                lines.append(
                    "| \(result.depth) | \(strategy) | \(result.tunedEpochs) | \(result.evalSet) | \(String(format: "%.2f", result.top1 * 100)) % |"
                )
            }
        }
        let mean = input.mean.map { String($0) }.joined(separator: ", ")
        let std = input.std.map { String($0) }.joined(separator: ", ")
        let eps = config.lgreg.layerNormEps
        let epsText = String(format: "%g", eps)
        lines += [
            "", "## Loading", "", "```python", "from functools import partial", "", "import timm",
            "import torch.nn as nn", "",
            "# LayerNorm epsilon \(epsText), as trained: config.json cannot state it, and timm's ViT would use 1e-6.",
            "model = timm.create_model(",
            "    \"local-dir:PATH/TO/THIS/FOLDER\",  # or \"hf-hub:USER/REPO\"",
            "    pretrained=True,",
            "    norm_layer=partial(nn.LayerNorm, eps=\(epsText)),",
            ")",
            "model.eval()",
            "config = timm.data.resolve_data_config({}, model=model)",
            "transform = timm.data.create_transform(**config)",
            "```", "",
            "timm builds `\(config.architecture)` with `model_args` from `config.json` overriding its shape; its "
                + "`norm_layer` is the one thing `config.json` cannot carry, so the call passes the LayerNorm epsilon the "
                + "weights were trained with (`lgreg.layerNormEps`: \(epsText)\(eps == 1e-6 ? ", timm's own default" : "; timm's default 1e-6 would change every logit")). Inputs are "
                + "\(input.inputSize.map(String.init).joined(separator: "×")) images normalized with mean [\(mean)] and std [\(std)] "
                + "(\(config.lgreg.normalization.rawValue)). With lgreg: `lgreg eval model.safetensors --arch config.json`.",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}

/// Writes a Des-Net as a folder timm and the Hugging Face Hub load as it is: `model.safetensors` under timm's key
/// names (streamed tensor by tensor, never assembled in memory), `config.json` and the `README.md` model card,
/// the three replaced together (`AtomicDirectory`) so a reader never finds the model of one export beside the
/// config of another.
public enum TimmExport {
    /// The files an export folder holds.
    public static let files: Set<String> = ["model.safetensors", "config.json", "README.md"]

    /// Writes `net` into `directory`, created or replaced as a whole.
    /// - Parameters:
    ///   - manifest: the learngene's manifest, for the card's licence, name and declared accuracy.
    ///   - progress: called after each tensor with (bytes written, total bytes).
    /// - Throws: `FileSystemError` when the folder cannot be written, or exists and holds other files;
    ///   `SafeTensorsError` from the writer or a source file.
    public static func write(
        _ net: DesNet, to directory: URL, tool: String, manifest: LearngeneManifest? = nil,
        progress: (_ written: Int, _ total: Int) -> Void = { _, _ in }
    ) throws {
        try write(net, config: TimmConfig(net, tool: tool), to: directory, manifest: manifest, progress: progress)
    }

    /// The bytes of an export's `model.safetensors`, tensor by tensor under timm's names, into `sink`.
    static func streamModel(
        _ net: DesNet, into sink: @escaping (UnsafeRawBufferPointer) throws -> Void,
        progress: (_ written: Int, _ total: Int) -> Void
    ) throws {
        let declarations = try net.tensors.map {
            try SafeTensorsWriter.Declaration(
                name: net.architecture.timmName($0.name), dtype: $0.dtype, shape: $0.shape)
        }
        // Each source file is unloaded once its last tensor is out, so an export holds the file it is copying
        // from (and the shared one), not every layer file its Des-Net uses.
        var lastUse: [ObjectIdentifier: (index: Int, file: SafeTensorsFile)] = [:]
        for (index, tensor) in net.tensors.enumerated() {
            for file in tensor.sources { lastUse[ObjectIdentifier(file)] = (index, file) }
        }
        let done = Dictionary(grouping: lastUse.values, by: \.index)
        var written = 0
        try SafeTensorsWriter.stream(tensors: declarations, metadata: ["format": "pt"], into: sink) { index, emit in
            try net.tensors[index].withBytes(emit)
            for source in done[index] ?? [] { source.file.unload() }
            written += net.tensors[index].byteCount
            progress(written, net.byteCount)
        }
    }

    /// The SHA-256 of the `model.safetensors` an export of `net` writes (the same bytes, never written): how a
    /// learngene's recorded teacher file is matched to a model in the store.
    public static func modelDigest(_ net: DesNet) throws -> Digest {
        final class Box: @unchecked Sendable { var hasher = Digest.Hasher() }
        let box = Box()
        try streamModel(net, into: { box.hasher.update($0) }, progress: { _, _ in })
        return box.hasher.finalize()
    }

    /// Writes `net` with `config` (built once by a caller that records it too; `config.lgreg.tuned` makes the card a
    /// tuned Des-Net's) into `directory`, created or replaced as a whole.
    public static func write(
        _ net: DesNet, config timmConfig: TimmConfig, to directory: URL, manifest: LearngeneManifest? = nil,
        progress: (_ written: Int, _ total: Int) -> Void = { _, _ in }
    ) throws {
        let config = try timmConfig.encoded()
        let card = Data(
            ModelCard(net: net, manifest: manifest, tuning: timmConfig.lgreg.tuned).markdown(net, config: timmConfig)
                .utf8)
        try AtomicDirectory.replace(directory, holding: files) { folder in
            // The folder is swapped in as a whole, so each file is written under its own name, without a
            // temporary and rename of its own; the three are fsynced together, then the folder once, before the swap.
            let syncs = BackgroundSync()
            /// Creates `name` in the folder, fills it with `fill` and schedules its fsync.
            func create(_ name: String, _ fill: (DurableFileWriter) throws -> Void) throws {
                let file = try DurableFileWriter(url: folder.appendingPathComponent(name))
                try fill(file)
                try file.finish(sync: false)
                syncs.schedule(file.url)
            }
            try create("model.safetensors") { file in try streamModel(net, into: file.write, progress: progress) }
            CrashPoint.exportModel.reached()
            try create("config.json") { try config.withUnsafeBytes($0.write) }
            try create("README.md") { try card.withUnsafeBytes($0.write) }
            try syncs.wait()
            try AtomicFileWriter.syncDirectory(folder)
        }
    }
}
