import Foundation
import LgregArchitecture
import LgregCore
import LgregRuntime
import SafeTensors

/// Where the distillation targets come from.
public enum TeacherSource {
    /// A model run live through the runtime on every augmented batch.
    case live(ViTRunner, description: String)
    /// Logits computed earlier for exactly this training set, seed and augmentation.
    case precomputed(TeacherLogits)

    /// A teacher from a safetensors file of any depth (lgreg or timm naming), its architecture taken from
    /// `architecture` with the pooling the file implies (`fc_norm.*` → `avg`, `cls_token` → `cls`).
    public static func live(path: String, architecture: ViTArchitecture, batch: Int) throws -> TeacherSource {
        let file = try SafeTensorsFile(path: path)
        let model = try ViTModel(
            parameters: ViTParameters(file: file, architecture: architecture.adapted(toWeights: file)))
        let digest = try Digest.ofFile(URL(fileURLWithPath: path)).digest
        return .live(
            ViTRunner(model: model, maxBatch: batch),
            description: "\(URL(fileURLWithPath: path).lastPathComponent) \(digest)")
    }

    /// What the run's configuration records as its teacher.
    public var description: String {
        switch self {
        case .live(_, let description): return description
        case .precomputed(let logits): return logits.teacher
        }
    }
}

extension ViTArchitecture {
    /// This architecture with the class token and pooling a weights file implies: `cls_token` → a class token
    /// with `cls` pooling, timm's `fc_norm.*` → `avg` (mean, then norm); otherwise unchanged.
    public func adapted(toWeights file: SafeTensorsFile) -> ViTArchitecture {
        var arch = self
        if file.contains("cls_token") {
            arch.classToken = true
            arch.pooling = .cls
        } else if file.contains("fc_norm.weight") {
            arch.classToken = false
            arch.pooling = .avg
        }
        return arch
    }
}

/// Precomputed teacher logits (its `__metadata__` follows `Schemas/teacher-logits-metadata.schema.json`): one row per epoch and training
/// image, for the augmented image that epoch sees, tied to the training set's digest, the seed and the
/// augmentation. A run whose data, seed or augmentation differ is refused.
public struct TeacherLogits {
    /// The file's magic value and the version this build reads and writes.
    public static let magic = "lgreg-teacher-logits", currentVersion = "1"

    /// [epochs, images, classes].
    public let logits: [Float]
    public let epochs: Int, images: Int, classes: Int
    /// Provenance of the logits: the teacher model that computed them.
    public let teacher: String
    let dataset: DatasetIdentity
    let seed: UInt64
    let augmentation: Augmentation?
    let path: String

    /// Row of image `index` at `epoch`.
    public func row(epoch: Int, index: Int) -> ArraySlice<Float> {
        let start = (epoch * images + index) * classes
        return logits[start..<(start + classes)]
    }

    /// Reads a logits file.
    /// - Throws: `TrainingError.unsupportedFormat` for another magic or version.
    public init(path: String) throws {
        let file = try SafeTensorsFile(path: path)
        guard file.metadata["magic"] == Self.magic else {
            throw TrainingError.unsupportedFormat(
                file: path, field: "magic", found: file.metadata["magic"] ?? "(none)", expected: Self.magic)
        }
        guard file.metadata["version"] == Self.currentVersion else {
            throw TrainingError.unsupportedFormat(
                file: path, field: "version", found: file.metadata["version"] ?? "(none)", expected: Self.currentVersion
            )
        }
        let info = try file.info("logits")
        guard info.shape.count == 3 else {
            throw TrainingError.shapeMismatch(file: path, name: "logits", expected: [-1, -1, -1], actual: info.shape)
        }
        let decoder = StrictJSONDecoder()
        func field<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
            guard let text = file.metadata[key] else {
                throw TrainingError.missingTensor(file: path, name: "__metadata__.\(key)")
            }
            return try decoder.decode(T.self, from: Data(text.utf8))
        }
        logits = try file.floats("logits")
        (epochs, images, classes) = (info.shape[0], info.shape[1], info.shape[2])
        teacher = file.metadata["teacher"] ?? ""
        dataset = try field("dataset", DatasetIdentity.self)
        seed = try field("seed", UInt64.self)
        augmentation = try field("augmentation", Augmentation?.self)
        self.path = path
    }

    /// Refuses logits made for another training set, seed, augmentation, head or a shorter run.
    public func check(against config: TrainingConfig) throws {
        func refuse(_ field: String, _ ours: String, _ theirs: String) -> TrainingError {
            .teacherLogitsMismatch(file: path, field: field, fileValue: theirs, runValue: ours)
        }
        if dataset != config.dataset { throw refuse("dataset", "\(config.dataset)", "\(dataset)") }
        if seed != config.seed { throw refuse("seed", "\(config.seed)", "\(seed)") }
        if augmentation != config.augmentation {
            throw refuse(
                "augmentation", "\(String(describing: config.augmentation))", "\(String(describing: augmentation))")
        }
        if classes != config.architecture.classes {
            throw refuse("classes", "\(config.architecture.classes)", "\(classes)")
        }
        if epochs < config.epochs { throw refuse("epochs", "\(config.epochs)", "\(epochs)") }
    }

    /// Runs `runner` over every epoch's augmented training images of `config` and writes the logits file.
    public static func write(
        runner: ViTRunner, teacher: String, data: ImageDataSet, config: TrainingConfig, to url: URL
    ) throws {
        let n = config.dataset.count
        let classes = config.architecture.classes
        var all = [Float]()
        all.reserveCapacity(config.epochs * n * classes)
        let batcher = AugmentedBatcher(data: data, config: config)
        for epoch in 0..<config.epochs {
            for batch in BatchOrder(count: n, batchSize: runner.maxBatch) {
                batcher.fill(indices: batch, epoch: epoch)
                let out = try runner.logits(images: batcher.images.pointer, batch: batch.count)
                all.append(contentsOf: UnsafeBufferPointer(start: out, count: batch.count * classes))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) throws -> String {
            String(decoding: try encoder.encode(value), as: UTF8.self)
        }
        var writer = SafeTensorsWriter(metadata: [
            "magic": magic, "version": currentVersion, "teacher": teacher,
            "dataset": try json(config.dataset), "seed": try json(config.seed),
            "augmentation": try json(config.augmentation),
        ])
        try writer.add("logits", shape: [config.epochs, n, classes], floats: all)
        try writer.write(to: url)
    }
}

/// Fills batches of normalized, augmented training images. Image i of epoch e is always cropped and flipped
/// by the generator (seed, augment, e·2³² + i), whatever batch it falls in.
final class AugmentedBatcher {
    let data: ImageDataSet
    let config: TrainingConfig
    let images: FloatBuffer
    private let raw: FloatBuffer
    private(set) var labels: [Int32]
    private let fill: [Float]

    init(data: ImageDataSet, config: TrainingConfig) {
        self.data = data
        self.config = config
        images = FloatBuffer(count: config.batchSize * data.imageValues)
        raw = FloatBuffer(count: config.batchSize * data.imageValues)
        labels = [Int32](repeating: 0, count: config.batchSize)
        // A padded pixel is black: 0 before normalization.
        fill = (0..<data.channels).map { c in
            -(data.mean.count == 1 ? data.mean[0] : data.mean[c]) / (data.std.count == 1 ? data.std[0] : data.std[c])
        }
    }

    func fill(indices: ArraySlice<Int>, epoch: Int) {
        guard let augmentation = config.augmentation else {
            data.fill(images.pointer, labels: &labels, indices: indices)
            return
        }
        data.fill(raw.pointer, labels: &labels, indices: indices)
        let values = data.imageValues
        let plane = data.height * data.width
        for (slot, index) in indices.enumerated() {
            var rng = SplitMix64(seed: config.seed, stream: .augment, index: UInt64(epoch) << 32 | UInt64(index))
            // One draw of crop and flip per image, shared by its channels.
            let state = rng
            for c in 0..<data.channels {
                rng = state
                augmentation.apply(
                    raw.pointer + slot * values + c * plane, into: images.pointer + slot * values + c * plane,
                    channels: 1, size: data.height, fill: fill[c], rng: &rng)
            }
        }
    }
}
