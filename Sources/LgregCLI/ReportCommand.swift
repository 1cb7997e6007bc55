import ArgumentParser
import Foundation
import LgregArchitecture
import LgregReports

/// `lgreg report`: what learngenes save.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports on storage and training savings.",
        subcommands: [Savings.self]
    )

    /// `lgreg report savings deit-base --schedule 3,3,4,3,3 --depths 6-15`
    struct Savings: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parameters stored and epochs spent: one learngene against pre-training every Des-Net.",
            discussion: """
            For deit-base with schedule 3,3,4,3,3 and depths 6-15 this prints the paper's 759.3 M against 37.0 M \
            (20.5×), 10× less pre-training and 6.6× less total training.
            """)

        @OptionGroup var architecture: ArchitectureOptions
        @Option(help: "Layers per stage of the Aux-Net that produced the learngene.")
        var schedule = "3,3,4,3,3"
        @Option(help: "Des-Net depths to initialize: N, N-M or a comma list.")
        var depths = "6-15"
        @Option(help: "Epochs to pre-train one Des-Net from scratch.")
        var pretrainEpochs = 100
        @Option(help: "Epochs to train the Aux-Net (the learngene).")
        var learngeneEpochs = 100
        @Option(help: "Epochs to fine-tune each Des-Net initialized from the learngene.")
        var tuneEpochs = 5
        @OptionGroup var output: OutputOptions

        func run() throws {
            let arch = try architecture.resolve()
            let stages: StageSchedule
            do { stages = try StageSchedule(parsing: schedule) } catch let error as ArchitectureError { throw ValidationError(error.description) }
            var epochs = SavingsReport.Epochs()
            epochs.pretrain = pretrainEpochs
            epochs.learngene = learngeneEpochs
            epochs.desNetTuning = tuneEpochs
            let report = SavingsReport(subject: architecture.architecture, architecture: arch, schedule: stages,
                                       depths: try parseDepths(depths), epochs: epochs)
            switch output.format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            case let format:
                print(report.table.rendered(format), terminator: "")
            }
        }
    }
}
