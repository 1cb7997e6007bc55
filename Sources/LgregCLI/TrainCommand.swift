import ArgumentParser
import Foundation
import LgregArchitecture
import LgregArchive
import LgregRuntime
import LgregTraining
import SafeTensors

/// The options `train` and `finetune` share: optimization, data, output and resumption (each command has its own
/// `--seed`: `finetune` shares it with the Des-Net's strategy).
struct TrainingOptions: ParsableArguments {
    @Option(help: "Passes over the training images.")
    var epochs = 10
    @Option(help: "Images per optimizer step.")
    var batch = 128
    @Option(help: "Peak learning rate of AdamW (default: 5e-4 for train, 5e-5 for finetune).")
    var lr: Float?
    @Option(name: .customLong("min-lr"), help: "Floor of the cosine decay (default: 1e-5 for train, 1e-6 for finetune).")
    var minLR: Float?
    @Option(name: .customLong("weight-decay"), help: "AdamW's decoupled weight decay (never on norms, biases, position embedding, class token).")
    var weightDecay: Float = 0.05
    @Option(help: "Epochs of linear warm-up before the cosine decay (default: min(5, epochs/4) for train, 0 for finetune).")
    var warmup: Int?
    @Option(name: .customLong("label-smoothing"), help: "Label smoothing of the cross-entropy term.")
    var labelSmoothing: Float = 0.1
    @Option(name: .customLong("drop-path"), help: "Drop-path rate of the last layer, growing linearly from 0 at the first (default: 0.1).")
    var dropPath: Float?
    @Option(help: "Clip gradients to this global L2 norm.")
    var clip: Float?
    @Flag(name: .customLong("no-augment"), help: "Train without random crops (padding 4) and horizontal flips.")
    var noAugment = false
    @Option(name: .customLong("data-dir"), help: "Directory of Fashion-MNIST's gzipped IDX files, replacing /usr/share/datasets/fashion-mnist.")
    var dataDirectory: String?
    @Option(name: .customLong("train-limit"), help: "Train on the first N training images only.")
    var trainLimit: Int?
    @Option(name: .customLong("eval-limit"), help: "Evaluate on the first N test images only.")
    var evalLimit: Int?
    @Option(help: "OpenBLAS threads (default: OpenBLAS's own choice).")
    var threads: Int?
    @Option(name: [.customShort("o"), .long], help: "Where the result goes (finetune: a loose safetensors file besides, or instead of, the store).")
    var output: String?
    @Option(name: .customLong("work-dir"), help: "Folder for the per-epoch checkpoint and the metrics log (default: OUTPUT.train; finetune into the store: TAG.train, ':' as '_').")
    var workDirectory: String?
    @Flag(help: "Continue from the work folder's checkpoint; the run ends with the same weights as an uninterrupted one.")
    var resume = false
    @Option(name: .customLong("stop-after"), help: "Stop after this epoch, leaving the checkpoint for --resume; no result is written (train: 0 with --write-teacher-logits writes the logits alone).")
    var stopAfter: Int?
    @OptionGroup var format: JSONOption

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs).") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch).") }
        if let trainLimit, trainLimit < 1 { throw ValidationError("--train-limit must be at least 1, got \(trainLimit).") }
        if let evalLimit, evalLimit < 1 { throw ValidationError("--eval-limit must be at least 1, got \(evalLimit).") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        if let stopAfter, stopAfter < 0 { throw ValidationError("--stop-after must be at least 0, got \(stopAfter).") }
    }

    var work: URL { URL(fileURLWithPath: workDirectory ?? (output ?? "lgreg") + ".train") }
    var checkpoint: URL { work.appendingPathComponent("checkpoint.safetensors") }
    var metrics: URL { work.appendingPathComponent("metrics.jsonl") }

    /// The training split (first `--train-limit` images) with its identity, and the test split.
    func loadData() throws -> (train: ImageDataSet, identity: DatasetIdentity, test: ImageDataSet) {
        if let threads { BLASThreads.set(threads) }
        let train = try FashionMNIST.load(.train, directory: dataDirectory ?? FashionMNIST.defaultDirectory)
        let test = try FashionMNIST.load(.test, directory: dataDirectory ?? FashionMNIST.defaultDirectory)
        let count = min(trainLimit ?? train.count, train.count)
        return (train, Trainer.identity(of: train, name: "fashion-mnist:train", count: count), test)
    }

    /// Prepares the work folder and, with `--resume`, restores the checkpoint; metrics lines past it are dropped.
    func prepare(_ trainer: Trainer) throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        if resume {
            guard FileManager.default.fileExists(atPath: checkpoint.path) else {
                throw ValidationError("--resume: no checkpoint at \(checkpoint.path).")
            }
            try trainer.restore(from: checkpoint)
            let kept = (try? String(contentsOf: metrics, encoding: .utf8))?.split(separator: "\n").prefix(trainer.completedEpochs) ?? []
            try (kept.map { $0 + "\n" }.joined()).write(to: metrics, atomically: true, encoding: .utf8)
        } else {
            try? FileManager.default.removeItem(at: checkpoint)
            try? FileManager.default.removeItem(at: metrics)
        }
    }

    /// Runs the remaining epochs (up to `--stop-after`) with a progress bar on a terminal; false when stopped
    /// early.
    func run(_ trainer: Trainer) throws -> Bool {
        try trainer.run(checkpoint: checkpoint, metrics: metrics, until: stopAfter, progress: TrainingProgressBar.make())
        if trainer.completedEpochs < trainer.config.epochs {
            try report(["stoppedAfter": trainer.completedEpochs, "checkpoint": checkpoint.path, "metrics": metrics.path],
                       summary: "stopped after epoch \(trainer.completedEpochs) of \(trainer.config.epochs); continue with --resume (checkpoint \(checkpoint.path))")
            return false
        }
        return true
    }

    /// Prints the outcome: with `--json` an object of `Schemas/train-result.schema.json` (its `schemaVersion` added;
    /// accuracies are fractions), else one line.
    func report(_ fields: [String: Any], summary: String) throws {
        if format.json {
            try printJSONObject(fields.merging(["schemaVersion": 1]) { $1 })
        } else {
            print(summary)
        }
    }
}

/// `lgreg train plain|sws|tleg`: trains an Aux-Net (or a plain model) on Fashion-MNIST and packs a `.lgz`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Trains a learngene: an SWS or TLEG Aux-Net, or a plain model, on Fashion-MNIST.",
        discussion: """
        sws trains an Aux-Net of L virtual layers whose stages share weights (--schedule 3,3,4,3,3: 16 layers, 5 \
        learngene layers); tleg trains θ_A and θ_B with layer l of L using θ_A + (l/L)·θ_B; plain trains --depth \
        independent layers. With --teacher (a safetensors model run live) or --teacher-logits (precomputed for this \
        training set, seed and augmentation) the loss is (1−α)·CE + α·τ²·KL(teacher ‖ student)/(batch·classes). \
        The result is a .lgz archive whose manifest records the provenance and the final test accuracy. A \
        checkpoint and a metrics line (JSONL) are written after every epoch to the work folder; --resume continues.
        """)

    enum Mode: String, ExpressibleByArgument, CaseIterable { case plain, sws, tleg }

    @Argument(help: "plain, sws or tleg.")
    var mode: Mode
    @Option(help: "A preset name (see `lgreg arch list`) or the path of an architecture JSON file.")
    var arch = "fmnist-tiny"
    @Option(help: "SWS stage schedule: virtual layers per learngene layer.")
    var schedule = "3,3,4,3,3"
    @Option(help: "Depth of a plain model or of a TLEG Aux-Net.")
    var depth = 12
    @Option(help: "A teacher model (.safetensors, lgreg or timm naming), run live on every augmented batch.")
    var teacher: String?
    @Option(name: .customLong("teacher-arch"), help: "The teacher's architecture (preset or file); default: --arch. Depth, class token and pooling come from the file.")
    var teacherArch: String?
    @Option(name: .customLong("teacher-logits"), help: "Precomputed teacher logits for this training set, seed and augmentation.")
    var teacherLogits: String?
    @Option(name: .customLong("write-teacher-logits"), help: "Also save the live teacher's logits for every epoch here, for later runs.")
    var writeTeacherLogits: String?
    @Option(help: "Distillation weight α (default 1 with a teacher, the paper's pure distillation; 0 without).")
    var alpha: Float?
    @Option(help: "Distillation temperature τ.")
    var tau: Float = 1
    @Option(help: "Learngene name in the archive (default: the file stem of --output, e.g. aux for -o aux.lgz).")
    var name: String?
    @Option(help: "Seed of initialization, shuffling, augmentation and drop-path: the same seed gives the same weights.")
    var seed: UInt64 = 0
    @Option(name: .customLong("learngene-version"), help: "Version (an OCI tag) in the archive.")
    var learngeneVersion = "1"
    @Option(help: "SPDX licence of the archive.")
    var license = "Apache-2.0"
    @OptionGroup var options: TrainingOptions

    func validate() throws {
        if teacher != nil && teacherLogits != nil { throw ValidationError("Give --teacher or --teacher-logits, not both.") }
        if writeTeacherLogits != nil && teacher == nil { throw ValidationError("--write-teacher-logits needs --teacher.") }
        if options.stopAfter == 0 && writeTeacherLogits == nil {
            throw ValidationError("--stop-after 0 trains nothing: it is for --write-teacher-logits alone.")
        }
        if depth < 1 { throw ValidationError("--depth must be at least 1, got \(depth).") }
        if options.output == nil { throw ValidationError("Give --output FILE.lgz, the archive to write.") }
    }

    func run() throws {
        let architecture = try ArchitectureOptions.parse([arch]).resolve()
        let stageSchedule: StageSchedule
        switch mode {
        case .sws:
            do { stageSchedule = try StageSchedule(parsing: schedule) } catch let error as ArchitectureError { throw ValidationError(error.description) }
        case .plain: stageSchedule = try StageSchedule(Array(repeating: 1, count: depth))
        case .tleg: stageSchedule = try StageSchedule([depth])
        }
        let data = try options.loadData()
        let hasTeacher = teacher != nil || teacherLogits != nil
        var source: TeacherSource?
        if let teacher {
            let teacherArchitecture = try ArchitectureOptions.parse([teacherArch ?? arch]).resolve()
            source = try TeacherSource.live(path: teacher, architecture: teacherArchitecture, batch: options.batch)
        } else if let teacherLogits {
            source = .precomputed(try TeacherLogits(path: teacherLogits))
        }
        let config = TrainingConfig(
            mode: TrainingMode(rawValue: mode.rawValue)!, architecture: architecture, schedule: stageSchedule,
            epochs: options.epochs, batchSize: options.batch, learningRate: options.lr ?? 5e-4, minLearningRate: options.minLR ?? 1e-5,
            weightDecay: options.weightDecay, warmupEpochs: options.warmup ?? min(5, options.epochs / 4), seed: seed,
            labelSmoothing: options.labelSmoothing, alpha: alpha ?? (hasTeacher ? 1 : 0), tau: tau, dropPath: options.dropPath ?? 0.1,
            clipNorm: options.clip, augmentation: options.noAugment ? nil : Augmentation(),
            dataset: data.identity, teacher: source?.description, initializedFrom: nil)
        do { try config.validate() } catch let error as TrainingError { throw ValidationError(error.description) }
        if let writeTeacherLogits, case let .live(runner, description)? = source {
            try TeacherLogits.write(runner: runner, teacher: description, data: data.train, config: config, to: URL(fileURLWithPath: writeTeacherLogits))
            if options.stopAfter == 0 {
                // The logits alone, for runs that distil from them (several at once, one per core).
                return try options.report(["teacherLogits": writeTeacherLogits, "epochs": config.epochs, "images": config.dataset.count],
                                          summary: "wrote \(writeTeacherLogits): the teacher's logits on \(config.dataset.count) augmented images × \(config.epochs) epochs; nothing trained (--stop-after 0)")
            }
        }
        let trainer = try Trainer(config: config, data: data.train, evalSet: data.test, evalLimit: options.evalLimit, teacher: source)
        try options.prepare(trainer)
        guard try options.run(trainer) else { return }

        let identity = LearngeneIdentity(name: learngeneName, version: learngeneVersion, license: license,
                                         description: "\(mode.rawValue) Aux-Net \(stageSchedule) trained by lgreg on \(data.identity.name)")
        let output = URL(fileURLWithPath: options.output ?? "")
        try? FileManager.default.removeItem(at: output)
        let manifest = try trainer.packLearngene(to: output, identity: identity, toolVersion: "lgreg \(Lgreg.version)", evalSet: "fashion-mnist:test")
        let accuracy = trainer.history.last?.evalAccuracy ?? 0
        try options.report(
            ["output": output.path, "name": manifest.name, "version": manifest.version, "kind": manifest.kind.rawValue,
             "schedule": stageSchedule.layersPerStage, "epochs": config.epochs, "evalAccuracy": accuracy,
             "storedParameters": manifest.parameters?.stored ?? 0, "metrics": options.metrics.path, "checkpoint": options.checkpoint.path],
            summary: "wrote \(output.path) (\(manifest.kind.rawValue), schedule \(stageSchedule), \(manifest.layers.count) layers): test top-1 \(String(format: "%.2f", accuracy * 100))%; metrics in \(options.metrics.path)")
    }
}

extension TrainCommand {
    /// `--name`, else `--output`'s file stem (`-o aux.lgz` → `aux`), lowercased with anything a learngene name
    /// cannot hold turned into `-`, so a tour's result never takes the zoo's names; `ARCH-MODE` if nothing is left.
    var learngeneName: String {
        if let name { return name.lowercased() }
        var stem = URL(fileURLWithPath: options.output ?? "").lastPathComponent.lowercased()
        if stem.hasSuffix(".lgz") { stem.removeLast(4) }
        let cleaned = String(stem.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" })
            .trimmingCharacters(in: CharacterSet(charactersIn: "._-"))
        return LearngeneManifest.isValidName(cleaned) ? cleaned : "\(arch.split(separator: "/").last!.replacingOccurrences(of: ".json", with: ""))-\(mode.rawValue)".lowercased()
    }
}

/// A one-line progress bar on standard error (epoch, steps, loss, accuracy, images/s), drawn only on a terminal.
enum TrainingProgressBar {
    static func make() -> ((StepProgress) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        return { p in
            let width = 24, filled = width * p.step / max(p.steps, 1)
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = String(format: "\repoch %d/%d %@ %d/%d loss %.4f acc %.1f%% %.0f img/s", p.epoch, p.epochs, bar, p.step, p.steps,
                              p.loss, p.accuracy * 100, p.imagesPerSecond)
            FileHandle.standardError.write(Data((line + (p.step == p.steps ? "\n" : "")).utf8))
        }
    }
}
