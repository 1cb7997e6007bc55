import ArgumentParser
import Foundation
import LgregArchitecture
import LgregArchive
import LgregZoo

/// `lgreg init --preset deit-base --schedule 3,3,4,3,3 --random --seed 0 -o aux-b.lgz`
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a learngene archive with random weights, marked untrained (for scale tests and examples).",
        discussion: """
            Tensors are initialized as timm does (truncated normal σ = 0.02 for weights and embeddings, zeros for \
            biases, ones for LayerNorm weights), deterministically from --seed. \
            `--preset deit-base --schedule 3,3,4,3,3` gives the paper's Aux-B learngene: 37.0 M parameters.
            \(ExitStatus.help)
            """)

    @Option(help: "Architecture preset (see `lgreg arch list`) or architecture JSON file.")
    var preset: String
    @Option(help: "Layers per stage of the Aux-Net, e.g. 3,3,4,3,3 (sws); for plain, the depth as 1,1,…")
    var schedule: String
    @Option(help: "Learngene kind: sws, tleg or plain.")
    var kind: LearngeneKind = .sws
    @Flag(help: "Random weights (required: lgreg init only makes random learngenes).")
    var random = false
    @Option(help: "Seed of the random weights.")
    var seed: UInt64 = 0
    @Option(help: "Learngene name (default: the preset name with the kind, e.g. deit-base-sws).")
    var name: String?
    @Option(name: .customLong("learngene-version"), help: "The learngene's version (`lgreg --version` is lgreg's).")
    var version = "0.1.0"
    @Option(name: .shortAndLong, help: "Archive to write.")
    var output: String

    func validate() throws {
        guard random else {
            throw ValidationError(
                "Pass --random: lgreg init writes random (untrained) learngenes; use `lgreg pack` for trained weights.")
        }
    }

    func run() throws {
        let architecture = try ViTArchitecture.lookup(preset)
        let stages = try StageSchedule(parsing: schedule)
        let manifest = try RandomLearngene.write(
            name: name
                ?? "\(URL(fileURLWithPath: preset).deletingPathExtension().lastPathComponent.lowercased())-\(kind.rawValue)",
            version: version, kind: kind, architecture: architecture, schedule: stages, seed: seed,
            toolVersion: "lgreg \(Lgreg.version)", to: URL(fileURLWithPath: output))
        print(
            "\(output): \(manifest.reference), \(manifest.kind.rawValue), \(manifest.layers.count) layers, "
                + "\(manifest.parameters!.stored) parameters (\(String(format: "%.1f", Double(manifest.parameters!.stored) / 1e6)) M), untrained"
        )
    }
}
