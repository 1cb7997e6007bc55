import Foundation
import LgregArchitecture
import LgregArchive
import LgregTraining

/// Trains a learngene on Fashion-MNIST (an SWS or TLEG Aux-Net, or a plain model, distilled from a teacher when
/// one is given) and packs it as a `.lgz` archive whose manifest records the provenance and the final top-1.
public enum LearngeneTraining {
    /// What to train.
    public struct Request: Sendable {
        /// How the virtual layers share stored layers.
        public var kind: LearngeneManifest.Kind
        /// A preset, an architecture file or an export (`ViTArchitecture.lookup`).
        public var architecture: String
        /// SWS: virtual layers per learngene layer (`3,3,4,3,3`); plain and TLEG: the depth.
        public var schedule: String, depth: Int
        public var teacher: Teacher?
        /// With a live teacher: where to save its logits for every epoch, for later runs.
        public var writeTeacherLogits: String?
        /// Distillation weight α (default 1 with a teacher, 0 without).
        public var alpha: Float?
        /// Distillation temperature τ.
        public var tau: Float = 1
        /// Seed of initialization, shuffling, augmentation and drop-path.
        public var seed: UInt64 = 0
        /// The archive to write.
        public var output: URL
        /// The learngene's name (default `defaultName`), version and licence.
        public var name: String?
        public var version = "1"
        public var license = "Apache-2.0"
        public var settings = TrainingSettings()
        /// `lgreg <version>`, recorded in the manifest.
        public var tool: String

        public init(
            kind: LearngeneManifest.Kind, architecture: String, schedule: String, depth: Int, output: URL,
            tool: String
        ) {
            (self.kind, self.architecture, self.schedule, self.depth) = (kind, architecture, schedule, depth)
            self.output = output
            self.tool = tool
        }
    }

    /// The model distilled from.
    public enum Teacher: Sendable {
        /// A safetensors model run live on every augmented batch, of `architecture` (default the student's).
        case live(path: String, architecture: String?)
        /// Logits precomputed for this training set, seed and augmentation.
        case precomputed(path: String)
    }

    /// How a run ended; each case is a JSON object of `Schemas/train-result.schema.json`.
    public enum Result: Encodable {
        /// The teacher's logits alone (`stopAfter` 0): nothing trained.
        case teacherLogits(TeacherLogitsWritten)
        case stopped(TrainingStopped)
        case trained(TrainedLearngene)

        public func encode(to encoder: Encoder) throws {
            switch self {
            case .teacherLogits(let written): try written.encode(to: encoder)
            case .stopped(let stopped): try stopped.encode(to: encoder)
            case .trained(let trained): try trained.encode(to: encoder)
            }
        }
    }

    /// The teacher's logits written for every epoch of augmented training images.
    public struct TeacherLogitsWritten: Codable, Equatable, Sendable {
        public var schemaVersion = 1
        /// The safetensors file written.
        public var teacherLogits: String
        public var epochs: Int
        /// Training images per epoch.
        public var images: Int
    }

    /// The archive written.
    public struct TrainedLearngene: Codable, Equatable, Sendable {
        public var schemaVersion = 1
        /// The archive, and its learngene's name, version and kind.
        public var output: String, name: String, version: String
        public var kind: LearngeneManifest.Kind
        /// The trained schedule's virtual layers per stored layer (a plain model's ones, TLEG's one stage).
        public var schedule: [Int]
        public var epochs: Int
        /// The last epoch's test top-1, a fraction.
        public var evalAccuracy: Double
        public var storedParameters: Int
        /// The work folder's metrics log and checkpoint.
        public var metrics: String, checkpoint: String

        /// Learngene layers in the archive: TLEG's θ_A and θ_B, else one a stage.
        public var layers: Int { kind == .tleg ? 2 : schedule.count }
    }

    /// Trains, writing a checkpoint and a metrics line after every epoch to the work folder (default
    /// `OUTPUT.train`), then packs the archive (replacing `output`).
    /// - Parameter progress: each training step's progress.
    public static func run(_ request: Request, progress: ((StepProgress) -> Void)? = nil) throws -> Result {
        let settings = request.settings
        let architecture = try ViTArchitecture.lookup(request.architecture)
        let schedule =
            switch request.kind {
            case .sws: try StageSchedule(parsing: request.schedule)
            case .plain: try StageSchedule.plain(request.depth)
            case .tleg: try StageSchedule([request.depth])
            }
        let data = try settings.loadData()
        let teacher: TeacherSource? =
            switch request.teacher {
            case .live(let path, let arch)?:
                try TeacherSource.live(
                    path: path, architecture: ViTArchitecture.lookup(arch ?? request.architecture),
                    batch: settings.batchSize)
            case .precomputed(let path)?: .precomputed(try TeacherLogits(path: path))
            case nil: nil
            }
        let config = try settings.configuration(
            mode: request.kind, architecture: architecture, schedule: schedule, defaults: .fromScratch,
            seed: request.seed, alpha: request.alpha ?? (teacher == nil ? 0 : 1), tau: request.tau,
            dataset: data.identity, teacher: teacher?.description)
        if let path = request.writeTeacherLogits, case .live(let runner, let description)? = teacher {
            try TeacherLogits.write(
                runner: runner, teacher: description, data: data.train, config: config,
                to: URL(fileURLWithPath: path))
            if settings.stopAfter == 0 {
                return .teacherLogits(.init(teacherLogits: path, epochs: config.epochs, images: config.dataset.count))
            }
        }
        let trainer = try settings.trainer(config, on: data, teacher: teacher)
        let work = settings.workFolder(fallback: request.output.path)
        if let stopped = try work.train(trainer, settings: settings, progress: progress) { return .stopped(stopped) }

        let identity = LearngeneIdentity(
            name: request.name?.lowercased() ?? defaultName(request), version: request.version,
            license: request.license,
            description: "\(request.kind.rawValue) Aux-Net \(schedule) trained by lgreg on \(data.identity.name)")
        try? FileManager.default.removeItem(at: request.output)
        let manifest = try trainer.packLearngene(
            to: request.output, identity: identity, toolVersion: request.tool,
            evalSet: TunedDesNet.evalSet)
        return .trained(
            TrainedLearngene(
                output: request.output.path, name: manifest.name, version: manifest.version, kind: manifest.kind,
                schedule: schedule.layersPerStage, epochs: config.epochs,
                evalAccuracy: trainer.history.last?.evalAccuracy ?? 0,
                storedParameters: manifest.parameters?.stored ?? 0,
                metrics: work.metrics.path, checkpoint: work.checkpoint.path))
    }

    /// The output's file stem (`aux.lgz` → `aux`), lowercased with anything a learngene name cannot hold turned
    /// into `-`, so a tour's result never takes the zoo's names; `ARCH-KIND` if nothing is left.
    public static func defaultName(_ request: Request) -> String {
        var stem = request.output.lastPathComponent.lowercased()
        if stem.hasSuffix(".lgz") { stem.removeLast(4) }
        let cleaned = String(stem.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" })
            .trimmingCharacters(in: CharacterSet(charactersIn: "._-"))
        if LearngeneManifest.isValidName(cleaned) { return cleaned }
        let architecture = request.architecture.split(separator: "/").last.map(String.init) ?? request.architecture
        return "\(architecture.replacingOccurrences(of: ".json", with: ""))-\(request.kind.rawValue)".lowercased()
    }
}
