import ArgumentParser

/// The `lgreg` command: a registry and model zoo for SWS learngenes.
@main
struct Lgreg: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "lgreg",
        abstract: "A registry and model zoo for SWS learngenes.",
        discussion: """
        lgreg stores learngenes (the shared layers of an SWS Aux-Net), materializes Des-Nets of any depth \
        from them, and reports what that saves against pre-training and fine-tuning every size.
        """,
        version: version,
        subcommands: [
            ArchCommand.self, ReportCommand.self, TrainCommand.self, FinetuneCommand.self,
            InitCommand.self, PackCommand.self, InspectCommand.self, PublishCommand.self, ListCommand.self, ShowCommand.self,
            TagCommand.self, RmCommand.self, GCCommand.self, FsckCommand.self, ExportCommand.self,
            PlanCommand.self, MaterializeCommand.self, EvalCommand.self, VerifyCommand.self,
        ]
    )
}
