import ArgumentParser
import Foundation
import LgregArchitecture
import LgregReports
import LgregZoo

/// `lgreg report`: what learngenes save.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports on storage and training savings, and on accuracy against storage.",
        subcommands: [Savings.self, Accuracy.self]
    )

    /// `lgreg report savings deit-base --schedule 3,3,4,3,3 --depths 6-15`, or `lgreg report savings aux-b` for a
    /// stored learngene (its architecture and schedule read from the store).
    struct Savings: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parameters stored and epochs spent: one learngene against pre-training every Des-Net.",
            discussion: """
                For deit-base with schedule 3,3,4,3,3 and depths 6-15 this prints the paper's 759.3 M against 37.0 M \
                (20.5×), 10× less pre-training and 6.6× less total training. The subject may also be a stored SWS \
                learngene (name, name:version, digest prefix) or a .lgz archive: its architecture and schedule are used.
                """)

        @Argument(
            help:
                "A preset (see `lgreg arch list`), an architecture JSON file, a stored SWS learngene or a .lgz archive (default: the current learngene, see `lgreg use`)."
        )
        var subject: String?
        @Option(help: "Classes of the head, replacing the architecture's own (Table 2 of the paper uses 100).")
        var classes: Int?
        @Flag(name: .customLong("class-token"), help: "Add a class token and classify from it, as timm's DeiT does.")
        var classToken = false
        @Option(
            help:
                "Layers per stage of the Aux-Net that produced the learngene (default 3,3,4,3,3; a stored learngene's own)."
        )
        var schedule: String?
        @Option(help: "Des-Net depths to initialize: N, N-M or a comma list.")
        var depths = "6-15"
        @Option(help: "Epochs to pre-train one Des-Net from scratch.")
        var pretrainEpochs = 100
        @Option(help: "Epochs to train the Aux-Net (the learngene).")
        var learngeneEpochs = 100
        @Option(help: "Epochs to fine-tune each Des-Net initialized from the learngene.")
        var tuneEpochs = 5
        @OptionGroup var output: OutputOptions
        @OptionGroup var store: StoreOptions

        func run() throws {
            var arch: ViTArchitecture
            var stages: StageSchedule
            var label = subject ?? ""
            if let learngene = try LearngeneArgument.swsShape(subject, store: store) {
                if schedule != nil {
                    throw ValidationError("--schedule is read from the learngene '\(learngene.reference)'; drop it.")
                }
                (arch, stages, label) = (learngene.architecture, learngene.schedule, learngene.reference)
                if let classes { arch.classes = classes }
            } else {
                arch = try ViTArchitecture.lookup(label, classes: classes, classToken: classToken)
                do { stages = try StageSchedule(parsing: schedule ?? "3,3,4,3,3") } catch let error as ArchitectureError
                { throw ValidationError(error.description) }
            }
            var epochs = SavingsReport.Epochs()
            epochs.pretrain = pretrainEpochs
            epochs.learngene = learngeneEpochs
            epochs.desNetTuning = tuneEpochs
            let report = SavingsReport(
                subject: label, architecture: arch, schedule: stages,
                depths: try parseDepths(depths), epochs: epochs)
            switch output.format {
            case .json:
                try printJSON(report)
            case let format:
                print(report.table.rendered(format), terminator: "")
            }
        }
    }
}
