import ArgumentParser
import Foundation
import LgregCore

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
            // Describe and account
            ArchCommand.self, ReportCommand.self,
            // Archives and the store
            InitCommand.self, PackCommand.self, ImportCommand.self, InspectCommand.self, PublishCommand.self, ListCommand.self, ShowCommand.self,
            TagCommand.self, RmCommand.self, DuCommand.self, GCCommand.self, FsckCommand.self, ExportCommand.self,
            // Resolve
            UseCommand.self, PlanCommand.self, MaterializeCommand.self,
            // Run and check
            EvalCommand.self, VerifyCommand.self,
            // Train
            TrainCommand.self, FinetuneCommand.self,
        ]
    )

    /// Refuses, with exit code 69, an x86-64 CPU without the AVX2 and FMA the runtime is compiled for, before
    /// any of its code runs; then runs the command line, every lgreg error printed as `error: …` with the exit
    /// code `StoreExit.exitCode(for:)` gives it (README's table).
    static func main() {
        if let refusal = CPUSupport.refusal(missing: CPUSupport.missingOnThisCPU()) {
            FileHandle.standardError.write(Data((refusal + "\n").utf8))
            exit(withError: ExitCode(CPUSupport.unavailableExitCode))
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            guard let code = StoreExit.exitCode(for: error) else { exit(withError: error) }
            exit(withError: StoreExit.failure("\(error)", code))
        }
    }
}
