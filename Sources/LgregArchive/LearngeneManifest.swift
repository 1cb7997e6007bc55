import Foundation
import LgregArchitecture
import LgregCore
@_exported import LgregVocabulary
import SafeTensors

/// The `manifest.json` of a `.lgz` archive (`Schemas/learngene-manifest.schema.json`), and the config blob
/// of a learngene in the store, byte for byte.
///
/// It says what the learngene is (name, version, kind, licence), the shape of the model it comes from
/// (architecture and the Aux-Net's stage schedule), which file holds which layer, where it came from and what it
/// achieved. The per-file `digest` and `size` let a reader check each entry while streaming it.
///
/// A *template* (the input of `lgreg pack`) is the same JSON without `shared`, `layers` and `parameters`;
/// `LearngeneArchive.pack` fills those in.
public struct LearngeneManifest: Codable, Equatable, Sendable {
    /// The format version this build reads and writes.
    public static let currentVersion = 1
    /// The manifest's name inside an archive.
    public static let entryName = "manifest.json"
    /// The shared tensors' file inside an archive.
    public static let sharedFile = "shared.safetensors"
    /// The file of learngene layer `index` inside an archive.
    public static func layerFile(_ index: Int) -> String { "layers/\(index).safetensors" }

    /// Format version; must equal `currentVersion`.
    public var schemaVersion: Int
    /// Learngene name: lowercase letters, digits, `.`, `_`, `-`, starting with a letter or digit.
    public var name: String
    /// Version, an OCI tag: letters, digits, `.`, `_`, `-`, at most 128 characters.
    public var version: String
    /// One line for listings.
    public var description: String
    /// SPDX licence expression.
    public var license: String
    /// What the layers are.
    public var kind: Kind
    /// The ViT the layers belong to.
    public var architecture: ViTArchitecture
    /// The Aux-Net's stage schedule (sws); L stages of one layer (plain, and the Aux-Net depth for tleg).
    public var schedule: StageSchedule
    /// Element type of every tensor.
    public var dtype: DType
    /// Shared tensors: patch embedding, position embedding, class token, final norm, head.
    public var shared: FileRecord?
    /// Learngene layers, index 0 first.
    public var layers: [LayerRecord]
    /// How the learngene was produced.
    public var provenance: Provenance
    /// Accuracies the publisher declares.
    public var results: [DeclaredResult]
    /// Parameters stored, checked against the architecture.
    public var parameters: ParameterBudget?

    /// What a learngene's layers are, and so how a training run ties virtual layers to stored weights (the
    /// vocabulary's `LearngeneKind`).
    public typealias Kind = LearngeneKind

    /// What one layer file holds.
    public enum Role: String, Codable, CaseIterable, Sendable {
        /// SWS stage weights.
        case stage
        /// One block of a plain model.
        case block
        /// TLEG θ_A.
        case thetaA = "theta-a"
        /// TLEG θ_B.
        case thetaB = "theta-b"
    }

    /// A file of the archive: where it is, its SHA-256 and size, and its tensors in file order.
    public struct FileRecord: Codable, Equatable, Sendable {
        /// Path inside the archive.
        public var file: String
        /// SHA-256 of the file's bytes.
        public var digest: Digest
        /// Bytes in the file.
        public var size: Int
        /// Tensor names, as in the file's header (block-relative for layers).
        public var tensors: [String]

        public init(file: String, digest: Digest, size: Int, tensors: [String]) {
            self.file = file
            self.digest = digest
            self.size = size
            self.tensors = tensors
        }
    }

    /// One learngene layer: its index, role and file.
    public struct LayerRecord: Codable, Equatable, Sendable {
        /// Position m, 0-based.
        public var index: Int
        /// What the layer is.
        public var role: Role
        /// Path inside the archive.
        public var file: String
        /// SHA-256 of the file's bytes.
        public var digest: Digest
        /// Bytes in the file.
        public var size: Int
        /// Block-relative tensor names (`norm1.weight`, …) in file order.
        public var tensors: [String]

        public init(index: Int, role: Role, file: FileRecord) {
            self.index = index
            self.role = role
            self.file = file.file
            self.digest = file.digest
            self.size = file.size
            self.tensors = file.tensors
        }

        /// The layer's file record.
        public var record: FileRecord { FileRecord(file: file, digest: digest, size: size, tensors: tensors) }
    }

    /// Where a learngene came from. Every field but `trained` and `toolVersion` is optional.
    public struct Provenance: Codable, Equatable, Sendable {
        /// False for random weights (`lgreg init --random`).
        public var trained: Bool
        /// The tool that wrote the archive (`lgreg 0.1.0`).
        public var toolVersion: String
        /// The ancestry model the Aux-Net was distilled from.
        public var ancestry: String?
        /// The training data set.
        public var dataset: String?
        /// Training epochs.
        public var epochs: Int?
        /// Distillation weight α.
        public var alpha: Double?
        /// Distillation temperature τ.
        public var tau: Double?
        /// Random seed.
        public var seed: Int?
        /// The checkpoint `lgreg import` converted, when the learngene was trained elsewhere.
        public var source: Source?

        /// A checkpoint trained outside lgreg: its file name, SHA-256 and the layout it was read with.
        public struct Source: Codable, Equatable, Sendable {
            /// The checkpoint's file name (no folder).
            public var file: String
            /// SHA-256 of the checkpoint's bytes.
            public var digest: Digest
            /// The layout it was read with (`sws-official`, `tleg-official`, `timm`).
            public var layout: String
            /// The checkpoint key the state dict came from (`model`, `model_ema`), nil for a bare state dict.
            public var key: String?

            public init(file: String, digest: Digest, layout: String, key: String?) {
                self.file = file
                self.digest = digest
                self.layout = layout
                self.key = key
            }
        }

        public init(
            trained: Bool, toolVersion: String, ancestry: String? = nil, dataset: String? = nil,
            epochs: Int? = nil, alpha: Double? = nil, tau: Double? = nil, seed: Int? = nil, source: Source? = nil
        ) {
            self.trained = trained
            self.toolVersion = toolVersion
            self.ancestry = ancestry
            self.dataset = dataset
            self.epochs = epochs
            self.alpha = alpha
            self.tau = tau
            self.seed = seed
            self.source = source
        }
    }

    /// An accuracy the publisher declares for a Des-Net initialized from this learngene.
    public struct DeclaredResult: Codable, Equatable, Sendable {
        /// The `strategy` of a result measured on the network the learngene was trained as (an SWS or TLEG
        /// Aux-Net at its own depth, or a plain model itself), as `lgreg train` declares it.
        public static let trainedNetwork = MeasuredNetwork.trainedNetworkName

        /// Des-Net depth.
        public var depth: Int
        /// Initialization strategy (`cyclic`, `random`, `simple-lg`, `tleg`, `imwlm`, …, or `aux-net`).
        public var strategy: String
        /// Layer order the strategy used (`front`, `cyclic`, …).
        public var order: String?
        /// Seed of a random-assigned map (and of any fresh tensor), for the strategies that draw one; absent means
        /// 0. Results of several seeds of one strategy and depth are declared side by side.
        public var seed: Int?
        /// Epochs fine-tuned after initialization; 0 is untuned.
        public var tunedEpochs: Int
        /// The evaluation set (`fashion-mnist:test`; archives written before 0.1.0's tour spelled it `fashion-mnist-test`, still read).
        public var evalSet: String
        /// Top-1 accuracy in [0, 1].
        public var top1: Double
        /// Mean cross-entropy on the evaluation set.
        public var loss: Double?

        public init(
            depth: Int, strategy: String, order: String? = nil, seed: Int? = nil, tunedEpochs: Int, evalSet: String,
            top1: Double,
            loss: Double? = nil
        ) {
            self.depth = depth
            self.strategy = strategy
            self.order = order
            self.seed = seed
            self.tunedEpochs = tunedEpochs
            self.evalSet = evalSet
            self.top1 = top1
            self.loss = loss
        }

        /// What the result was measured on, in the vocabulary's words (old strategy names read as they mean);
        /// nil for a strategy or seed lgreg does not know.
        public var network: MeasuredNetwork? {
            guard let seed = UInt64(exactly: seed ?? 0) else { return nil }
            return MeasuredNetwork(
                recordedStrategy: strategy, order: order, seed: seed, depth: depth, tunedEpochs: tunedEpochs)
        }
    }

    /// The parameter count the archive declares.
    public struct ParameterBudget: Codable, Equatable, Sendable {
        /// Parameters in all stored tensors: layers × block + shared.
        public var stored: Int

        public init(stored: Int) { self.stored = stored }
    }

    public init(
        name: String, version: String, description: String, license: String, kind: Kind,
        architecture: ViTArchitecture, schedule: StageSchedule, dtype: DType, provenance: Provenance,
        results: [DeclaredResult] = [], shared: FileRecord? = nil, layers: [LayerRecord] = [],
        parameters: ParameterBudget? = nil
    ) {
        self.schemaVersion = Self.currentVersion
        self.name = name
        self.version = version
        self.description = description
        self.license = license
        self.kind = kind
        self.architecture = architecture
        self.schedule = schedule
        self.dtype = dtype
        self.provenance = provenance
        self.results = results
        self.shared = shared
        self.layers = layers
        self.parameters = parameters
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decode(String.self, forKey: .version)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        license = try c.decode(String.self, forKey: .license)
        kind = try c.decode(Kind.self, forKey: .kind)
        architecture = try c.decode(ViTArchitecture.self, forKey: .architecture)
        schedule = try c.decode(StageSchedule.self, forKey: .schedule)
        dtype = try c.decode(DType.self, forKey: .dtype)
        shared = try c.decodeIfPresent(FileRecord.self, forKey: .shared)
        layers = try c.decodeIfPresent([LayerRecord].self, forKey: .layers) ?? []
        provenance = try c.decode(Provenance.self, forKey: .provenance)
        results = try c.decodeIfPresent([DeclaredResult].self, forKey: .results) ?? []
        parameters = try c.decodeIfPresent(ParameterBudget.self, forKey: .parameters)
    }

    // MARK: Derived facts

    /// Learngene layers this kind and schedule need: stages (sws), 2 (tleg), blocks (plain).
    public var expectedLayerCount: Int {
        switch kind {
        case .sws: return schedule.stageCount
        case .tleg: return 2
        case .plain: return schedule.depth
        }
    }

    /// The role of layer `index` for this kind.
    public func role(ofLayer index: Int) -> Role {
        switch kind {
        case .sws: return .stage
        case .tleg: return index == 0 ? .thetaA : .thetaB
        case .plain: return .block
        }
    }

    /// Parameters the architecture says the stored tensors hold: layers × block + shared.
    public var expectedStoredParameters: Int {
        expectedLayerCount * architecture.blockParameters + architecture.sharedParameters
    }

    /// Bytes of tensor data the architecture gives file `slot` of `files` (0 the shared tensors, m + 1 layer m).
    public func tensorBytes(ofFile slot: Int) -> Int {
        let specs = slot == 0 ? architecture.sharedTensorSpecs : architecture.blockTensorSpecs
        return specs.reduce(0) { $0 + $1.elementCount } * dtype.byteSize
    }

    /// Every file record, shared first, then the layers in order.
    public var files: [FileRecord] { (shared.map { [$0] } ?? []) + layers.map(\.record) }

    /// `name:version`.
    public var reference: String { "\(name):\(version)" }

    // MARK: Reading and writing

    /// Pretty-printed JSON with sorted keys, as lgreg writes it.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// Decodes and validates a complete manifest (one with files and parameters); `path` labels errors.
    /// - Throws: `ArchiveError.invalidManifest` naming the field and the problem.
    public static func decode(_ data: Data, path: String) throws -> LearngeneManifest {
        let manifest = try decodeTemplate(data, path: path)
        try manifest.validate(path: path)
        return manifest
    }

    /// Decodes a template (files and parameters may be absent) and checks the descriptive fields.
    public static func decodeTemplate(_ data: Data, path: String) throws -> LearngeneManifest {
        struct Version: Decodable { var schemaVersion: Int? }
        guard let version = try? JSONDecoder().decode(Version.self, from: data) else {
            throw ArchiveError.invalidManifest(path: path, field: nil, reason: "is not a JSON object")
        }
        guard let found = version.schemaVersion else {
            throw ArchiveError.invalidManifest(path: path, field: "schemaVersion", reason: "is missing")
        }
        guard found == currentVersion else {
            throw ArchiveError.invalidManifest(
                path: path, field: "schemaVersion",
                reason: "is \(found); this lgreg reads version \(currentVersion) only")
        }
        let manifest: LearngeneManifest
        do { manifest = try StrictJSONDecoder().decode(LearngeneManifest.self, from: data) } catch let error
            as DecodingError
        {
            let named = ArchitectureFileError(decoding: error, path: path)
            throw ArchiveError.invalidManifest(path: path, field: named.field, reason: named.reason)
        }
        try manifest.validateDescription(path: path)
        return manifest
    }

    /// Checks the descriptive fields: name, version, licence, architecture, schedule against the kind, dtype.
    public func validateDescription(path: String) throws {
        func fail(_ field: String, _ reason: String) -> ArchiveError {
            .invalidManifest(path: path, field: field, reason: reason)
        }
        guard Self.isValidName(name) else {
            throw fail(
                "name",
                "'\(Quoted.name(name))' must be 1-128 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
            )
        }
        guard Self.isValidVersion(version) else {
            throw fail(
                "version",
                "'\(Quoted.name(version))' must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', '-', starting with a letter, digit or '_'"
            )
        }
        guard !license.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw fail("license", "must be an SPDX expression such as Apache-2.0")
        }
        do { try architecture.validate() } catch let error as ArchitectureError {
            if case .invalidField(let field, let reason) = error { throw fail("architecture.\(field)", reason) }
            throw fail("architecture", error.description)
        }
        guard dtype.isFloatingPoint else {
            throw fail("dtype", "is \(dtype.rawValue); a learngene holds F32, F16 or BF16 tensors")
        }
        if kind == .plain, schedule.layersPerStage.contains(where: { $0 != 1 }) {
            throw fail("schedule", "a plain model of depth L has L stages of one layer, got \(schedule)")
        }
        if let bad = results.firstIndex(where: {
            !(0...1).contains($0.top1) || !(1...ArchitectureLimits.maxDepth).contains($0.depth) || $0.tunedEpochs < 0
                || ($0.seed ?? 0) < 0
        }) {
            throw fail(
                "results[\(bad)]",
                "needs depth in 1...\(ArchitectureLimits.maxDepth), tunedEpochs ≥ 0, top1 in [0, 1] and a seed ≥ 0")
        }
    }

    /// Checks a complete manifest: the descriptive fields, then one file record per layer with the right
    /// index, role and path, and the declared parameter count against the architecture.
    public func validate(path: String) throws {
        func fail(_ field: String, _ reason: String) -> ArchiveError {
            .invalidManifest(path: path, field: field, reason: reason)
        }
        try validateDescription(path: path)
        guard let shared else { throw fail("shared", "is missing") }
        guard shared.file == Self.sharedFile else {
            throw fail("shared.file", "is '\(Quoted.name(shared.file))', must be '\(Self.sharedFile)'")
        }
        guard layers.count == expectedLayerCount else {
            throw fail(
                "layers",
                "lists \(layers.count) layers; a \(kind.rawValue) learngene with schedule \(schedule) has \(expectedLayerCount)"
            )
        }
        for (m, layer) in layers.enumerated() {
            guard layer.index == m else { throw fail("layers[\(m)].index", "is \(layer.index), must be \(m)") }
            guard layer.role == role(ofLayer: m) else {
                throw fail(
                    "layers[\(m)].role",
                    "is '\(layer.role.rawValue)', must be '\(role(ofLayer: m).rawValue)' for kind \(kind.rawValue)")
            }
            guard layer.file == Self.layerFile(m) else {
                throw fail("layers[\(m)].file", "is '\(Quoted.name(layer.file))', must be '\(Self.layerFile(m))'")
            }
        }
        for (i, record) in files.enumerated() where record.size < 8 {
            throw fail(
                i == 0 ? "shared.size" : "layers[\(i - 1)].size",
                "is \(record.size); a safetensors file has at least 8 bytes")
        }
        guard let parameters else { throw fail("parameters", "is missing") }
        guard parameters.stored == expectedStoredParameters else {
            throw fail(
                "parameters.stored",
                "is \(parameters.stored); \(expectedLayerCount) layers and the shared tensors of this architecture hold \(expectedStoredParameters)"
            )
        }
    }

    /// Checks each file's declared size against the architecture: its tensors' bytes, an 8-byte length and a header
    /// of at most `headerAllowance` bytes. What a registry declares is checked this way before it is fetched.
    /// - Throws: `ArchiveError.invalidManifest` naming the first file whose size cannot be.
    public func validateFileSizes(path: String, headerAllowance: Int = ArchiveLimits().headerAllowance) throws {
        for (slot, record) in files.enumerated() {
            let tensorBytes = tensorBytes(ofFile: slot)
            guard (tensorBytes + 8...tensorBytes + headerAllowance).contains(record.size) else {
                let field = slot == 0 ? "shared.size" : "layers[\(slot - 1)].size"
                throw ArchiveError.invalidManifest(
                    path: path, field: field,
                    reason: "is \(record.size) bytes; the architecture's "
                        + "tensors of \(record.file) take \(tensorBytes) bytes, so the file has \(tensorBytes + 8) to "
                        + "\(tensorBytes + headerAllowance)")
            }
        }
    }

    /// Whether `text` is a valid learngene name.
    public static func isValidName(_ text: String) -> Bool { ModelReference.isName(text) }

    /// Whether `text` is a valid version (an OCI tag).
    public static func isValidVersion(_ text: String) -> Bool { ModelReference.isVersion(text) }
}
