import Foundation
import LgregArchitecture
import LgregCore
import LgregRuntime
import SafeTensors

/// One line of the metrics log (`Schemas/training-metrics.schema.json`): what an epoch achieved.
public struct EpochMetrics: Codable, Equatable, Sendable {
    public static let currentVersion = 1
    public var formatVersion = EpochMetrics.currentVersion
    /// Epochs completed, 1-based.
    public var epoch: Int
    /// Optimizer steps completed.
    public var step: Int
    /// Learning rate of the epoch's last step.
    public var learningRate: Float
    /// Mean training loss over the epoch's batches (the objective, distillation included).
    public var trainLoss: Double
    /// Fraction of training images (augmented) classified right during the epoch.
    public var trainAccuracy: Double
    /// Mean cross-entropy on the evaluation set, when there is one.
    public var evalLoss: Double?
    /// Top-1 accuracy in [0, 1] on the evaluation set, when there is one.
    public var evalAccuracy: Double?
    /// Images evaluated.
    public var evalImages: Int?
    /// Training throughput.
    public var imagesPerSecond: Double
    /// Wall-clock seconds of the epoch's training steps.
    public var seconds: Double
}

/// Progress of the running epoch, for a progress bar.
public struct StepProgress: Sendable {
    /// Epoch running (1-based) of `epochs`; batch `step` (1-based) of the epoch's `steps`.
    public var epoch: Int, epochs: Int, step: Int, steps: Int
    /// Mean loss and training accuracy (a fraction) over the epoch's batches so far, and its throughput.
    public var loss: Double, accuracy: Double, imagesPerSecond: Double
}

/// Runs a training configuration: seeded initialization (or given weights), per-epoch shuffling, augmentation,
/// teacher targets, drop-path, clipping, AdamW with warm-up and cosine decay, evaluation, checkpoint and
/// metrics after every epoch. The same configuration gives bitwise the same weights, resumed or not.
public final class Trainer {
    public let config: TrainingConfig
    public let model: TrainingModel
    /// Epochs done so far.
    public private(set) var completedEpochs = 0
    /// Optimizer steps done so far.
    public private(set) var step = 0
    /// Metrics of every completed epoch of this process (resumed epochs are not repeated).
    public private(set) var history: [EpochMetrics] = []

    private let data: ImageDataSet
    private let evalSet: ImageDataSet?
    private let evalLimit: Int?
    private let teacher: TeacherSource?
    private let m, v, decayMask: FloatBuffer
    private let batcher: AugmentedBatcher

    /// - Parameters:
    ///   - data: the training split; the first `config.dataset.count` images are used.
    ///   - initialWeights: weights to start from (fine-tuning); nil initializes from `config.seed`.
    public init(
        config: TrainingConfig, data: ImageDataSet, evalSet: ImageDataSet?, evalLimit: Int?, teacher: TeacherSource?,
        initialWeights: SafeTensorsFile? = nil
    ) throws {
        try config.validate()
        try data.check(against: config.architecture)
        if let evalSet { try evalSet.check(against: config.architecture) }
        if case .precomputed(let logits) = teacher { try logits.check(against: config) }
        self.config = config
        self.data = data
        self.evalSet = evalSet
        self.evalLimit = evalLimit
        self.teacher = teacher
        model = TrainingModel(
            architecture: config.architecture, mode: config.mode, schedule: config.schedule,
            batchCapacity: config.batchSize)
        if let initialWeights {
            try model.loadParameters(from: initialWeights)
        } else {
            model.initializeParameters(seed: config.seed)
        }
        m = FloatBuffer(count: model.layout.count)
        v = FloatBuffer(count: model.layout.count)
        decayMask = FloatBuffer(model.layout.decayMask)
        batcher = AugmentedBatcher(data: data, config: config)
    }

    /// The digest identity of the first `count` images of `data` (pixels then labels).
    public static func identity(of data: ImageDataSet, name: String, count: Int) -> DatasetIdentity {
        var bytes = Data()
        let values = count * data.imageValues
        switch data.pixels {
        case .u8(let pixels): bytes.append(contentsOf: pixels[0..<values])
        case .f32(let pixels): pixels[0..<values].withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        data.labels[0..<count].withUnsafeBytes { bytes.append(contentsOf: $0) }
        return DatasetIdentity(name: name, count: count, digest: Digest.of(bytes).description)
    }

    // MARK: Running

    /// Trains the remaining epochs (or up to epoch `until`), writing a checkpoint to `checkpoint` and a metrics
    /// line to `metrics` after each.
    public func run(checkpoint: URL?, metrics: URL?, until: Int? = nil, progress: ((StepProgress) -> Void)? = nil)
        throws
    {
        while completedEpochs < min(until ?? config.epochs, config.epochs) {
            let line = try trainEpoch(progress: progress)
            history.append(line)
            if let metrics { try appendMetrics(line, to: metrics) }
            if let checkpoint { try saveCheckpoint(to: checkpoint) }
        }
    }

    private func trainEpoch(progress: ((StepProgress) -> Void)?) throws -> EpochMetrics {
        let epoch = completedEpochs
        let n = config.dataset.count
        let classes = config.architecture.classes
        let schedule = config.learningRateSchedule
        let optimizer = AdamW(weightDecay: config.weightDecay)
        let rates = dropPathRates(rate: config.dropPath, depth: config.schedule.depth)
        let objective = DistillationObjective(
            alpha: config.alpha, temperature: config.tau, labelSmoothing: config.labelSmoothing)
        var shuffle = SplitMix64(seed: config.seed, stream: .shuffle, index: UInt64(epoch))
        let order = BatchOrder(count: n, batchSize: config.batchSize, shuffleSeed: shuffle.next())
        var dlogits = [Float](repeating: 0, count: config.batchSize * classes)
        let teacherRows = FloatBuffer(count: config.batchSize * classes)
        var lossSum = 0.0
        var correct = 0
        var seen = 0
        var batches = 0
        var rate: Float = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for batch in order {
            let count = batch.count
            batcher.fill(indices: batch, epoch: epoch)
            let labels = batcher.labels[0..<count].map(Int.init)
            var teacherPointer: UnsafePointer<Float>? = nil
            switch teacher {
            case .live(let runner, _)?:
                teacherPointer = try runner.logits(images: batcher.images.pointer, batch: count)
            case .precomputed(let logits)?:
                for (slot, index) in batch.enumerated() {
                    for (c, value) in logits.row(epoch: epoch, index: index).enumerated() {
                        teacherRows[slot * classes + c] = value
                    }
                }
                teacherPointer = UnsafePointer(teacherRows.pointer)
            case nil: break
            }
            model.forward(
                images: batcher.images.pointer, batch: count,
                dropPath: (rates, SplitMix64(seed: config.seed, stream: .dropPath, index: UInt64(step))))
            let loss = objective.lossAndGradient(
                logits: model.logits, labels: labels, teacher: teacherPointer, dlogits: &dlogits, classes: classes)
            model.zeroGradients()
            model.backward(dlogits: dlogits)
            if let clip = config.clipNorm { clipGradientNorm(model.gradients, maxNorm: clip) }
            rate = schedule.rate(at: step)
            optimizer.step(
                params: model.parameters.storage, grads: model.gradients, m: m, v: v, decayMask: decayMask,
                learningRate: rate, step: step + 1)
            step += 1

            lossSum += Double(loss)
            batches += 1
            for b in 0..<count {
                let row = model.logits + b * classes
                var best = 0
                for c in 1..<classes where row[c] > row[best] { best = c }
                if best == labels[b] { correct += 1 }
            }
            seen += count
            if let progress {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                progress(
                    StepProgress(
                        epoch: epoch + 1, epochs: config.epochs, step: batches, steps: order.batchCount,
                        loss: lossSum / Double(batches), accuracy: Double(correct) / Double(seen),
                        imagesPerSecond: Double(seen) / max(seconds, 1e-9)))
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        completedEpochs += 1
        var line = EpochMetrics(
            epoch: completedEpochs, step: step, learningRate: rate, trainLoss: lossSum / Double(batches),
            trainAccuracy: Double(correct) / Double(seen), imagesPerSecond: Double(seen) / max(seconds, 1e-9),
            seconds: seconds)
        if let result = try evaluate() {
            line.evalLoss = result.meanLoss
            line.evalAccuracy = result.top1.fraction
            line.evalImages = result.images
        }
        return line
    }

    /// Whether evaluation covers only the first `evalLimit` images of the evaluation set.
    public var evaluationIsLimited: Bool {
        guard let evalSet, let evalLimit else { return false }
        return evalLimit < evalSet.count
    }

    /// Top-1 accuracy and mean loss of the current weights on the evaluation set, through the runtime.
    public func evaluate() throws -> EvaluationResult? {
        guard let evalSet else { return nil }
        let runner = ViTRunner(model: try model.inferenceModel(), maxBatch: config.batchSize)
        return try Evaluation.run(runner, on: evalSet, limit: evalLimit)
    }

    private func appendMetrics(_ line: EpochMetrics, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = try encoder.encode(line)
        bytes.append(0x0A)
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw TrainingError.io(path: url.path, reason: "cannot create the metrics log")
            }
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: bytes)
    }

    // MARK: Checkpoints

    /// The checkpoint's magic value and the version this build reads and writes.
    public static let checkpointMagic = "lgreg-checkpoint", checkpointVersion = "1"

    /// Writes parameters, AdamW moments, epoch and step with the configuration, atomically.
    public func saveCheckpoint(to url: URL) throws {
        var writer = SafeTensorsWriter(metadata: [
            "magic": Self.checkpointMagic, "version": Self.checkpointVersion,
            "config": String(decoding: try config.encoded(), as: UTF8.self),
            "epoch": String(completedEpochs), "step": String(step),
        ])
        try writer.add(
            "parameters", shape: [model.layout.count], floats: model.parameters.array(count: model.layout.count))
        try writer.add("adam.m", shape: [m.count], floats: m.array)
        try writer.add("adam.v", shape: [v.count], floats: v.array)
        try writer.write(to: url)
    }

    /// Continues from a checkpoint written by a run with the same configuration.
    /// - Throws: `TrainingError.checkpointMismatch` naming the first differing field, or `.unsupportedFormat`.
    public func restore(from url: URL) throws {
        let file = try SafeTensorsFile(path: url.path)
        guard file.metadata["magic"] == Self.checkpointMagic else {
            throw TrainingError.unsupportedFormat(
                file: url.path, field: "magic", found: file.metadata["magic"] ?? "(none)",
                expected: Self.checkpointMagic)
        }
        guard file.metadata["version"] == Self.checkpointVersion else {
            throw TrainingError.unsupportedFormat(
                file: url.path, field: "version", found: file.metadata["version"] ?? "(none)",
                expected: Self.checkpointVersion)
        }
        let stored = try TrainingConfig.decode(Data((file.metadata["config"] ?? "{}").utf8), file: url.path)
        if stored != config {
            // Name the first top-level field whose canonical JSON differs.
            func fields(_ c: TrainingConfig) throws -> [String: String] {
                let object = try JSONSerialization.jsonObject(with: c.encoded()) as? [String: Any] ?? [:]
                return try object.mapValues {
                    String(
                        decoding: try JSONSerialization.data(
                            withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
                }
            }
            let ours = try fields(config)
            let theirs = try fields(stored)
            let field = Set(ours.keys).union(theirs.keys).sorted().first { ours[$0] != theirs[$0] } ?? "config"
            throw TrainingError.checkpointMismatch(
                file: url.path, field: field, checkpoint: theirs[field] ?? "(none)", requested: ours[field] ?? "(none)")
        }
        for (name, buffer) in [("parameters", nil), ("adam.m", m), ("adam.v", v)] as [(String, FloatBuffer?)] {
            let info = try file.info(name)
            guard info.shape == [model.layout.count] else {
                throw TrainingError.shapeMismatch(
                    file: url.path, name: name, expected: [model.layout.count], actual: info.shape)
            }
            let values = try file.floats(name)
            if let buffer {
                buffer.assign(values)
            } else {
                model.parameters.storage.update(from: values, count: values.count)
            }
        }
        completedEpochs = Int(file.metadata["epoch"] ?? "") ?? 0
        step = Int(file.metadata["step"] ?? "") ?? 0
    }
}

extension ViTParameters {
    /// A copy of the first `count` floats.
    func array(count: Int) -> [Float] { Array(UnsafeBufferPointer(start: storage, count: count)) }
}
