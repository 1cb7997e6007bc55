import ArgumentParser
import Foundation
import LgregArchive
import LgregZoo

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

    @Argument(help: "plain, sws or tleg.")
    var mode: LearngeneManifest.Kind
    @Option(help: "A preset name (see `lgreg arch list`) or the path of an architecture JSON file.")
    var arch = "fmnist-tiny"
    @Option(help: "SWS stage schedule: virtual layers per learngene layer.")
    var schedule = "3,3,4,3,3"
    @Option(help: "Depth of a plain model or of a TLEG Aux-Net.")
    var depth = 12
    @Option(help: "A teacher model (.safetensors, lgreg or timm naming), run live on every augmented batch.")
    var teacher: String?
    @Option(
        name: .customLong("teacher-arch"),
        help:
            "The teacher's architecture (preset or file); default: --arch. Depth, class token and pooling come from the file."
    )
    var teacherArch: String?
    @Option(
        name: .customLong("teacher-logits"),
        help: "Precomputed teacher logits for this training set, seed and augmentation.")
    var teacherLogits: String?
    @Option(
        name: .customLong("write-teacher-logits"),
        help: "Also save the live teacher's logits for every epoch here, for later runs.")
    var writeTeacherLogits: String?
    @Option(help: "Distillation weight α (default 1 with a teacher, the paper's pure distillation; 0 without).")
    var alpha: Float?
    @Option(help: "Distillation temperature τ.")
    var tau: Float = 1
    @Option(help: "Learngene name in the archive (default: the file stem of --output, e.g. aux for -o aux.lgz).")
    var name: String?
    @Option(
        help: "Seed of initialization, shuffling, augmentation and drop-path: the same seed gives the same weights.")
    var seed: UInt64 = 0
    @Option(name: .customLong("learngene-version"), help: "Version (an OCI tag) in the archive.")
    var learngeneVersion = "1"
    @Option(help: "SPDX licence of the archive.")
    var license = "Apache-2.0"
    @OptionGroup var options: TrainingOptions

    func validate() throws {
        if teacher != nil && teacherLogits != nil {
            throw ValidationError("Give --teacher or --teacher-logits, not both.")
        }
        if writeTeacherLogits != nil && teacher == nil {
            throw ValidationError("--write-teacher-logits needs --teacher.")
        }
        if options.stopAfter == 0 && writeTeacherLogits == nil {
            throw ValidationError("--stop-after 0 trains nothing: it is for --write-teacher-logits alone.")
        }
        if depth < 1 { throw ValidationError("--depth must be at least 1, got \(depth).") }
        if options.output == nil { throw ValidationError("Give --output FILE.lgz, the archive to write.") }
    }

    func run() throws {
        var request = LearngeneTraining.Request(
            kind: mode, architecture: arch, schedule: schedule, depth: depth,
            output: URL(fileURLWithPath: options.output ?? ""),
            tool: "lgreg \(Lgreg.version)")
        if let teacher {
            request.teacher = .live(path: teacher, architecture: teacherArch)
        } else if let teacherLogits {
            request.teacher = .precomputed(path: teacherLogits)
        }
        request.writeTeacherLogits = writeTeacherLogits
        request.alpha = alpha
        request.tau = tau
        request.seed = seed
        request.name = name
        request.version = learngeneVersion
        request.license = license
        request.settings = options.settings
        let result = try LearngeneTraining.run(request, progress: TrainingProgressBar.make())
        try options.render(result, summary: summary(result))
    }

    /// The line that says what the run wrote.
    private func summary(_ result: LearngeneTraining.Result) -> String {
        switch result {
        case .teacherLogits(let written):
            return "wrote \(written.teacherLogits): the teacher's logits on \(written.images) augmented images × "
                + "\(written.epochs) epochs; nothing trained (--stop-after 0)"
        case .stopped(let stopped): return options.summary(stopped)
        case .trained(let trained):
            let schedule = trained.schedule.map(String.init).joined(separator: ",")
            return "wrote \(trained.output) (\(trained.kind.rawValue), schedule \(schedule), "
                + "\(trained.layers) layers): test top-1 " + String(format: "%.2f%%", trained.evalAccuracy * 100)
                + "; metrics in \(trained.metrics)"
        }
    }
}

/// `train sws`, `init --kind tleg`: a learngene kind by its name.
extension LearngeneKind: ExpressibleByArgument {}
