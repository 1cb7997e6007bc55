import ArgumentParser
import Foundation
import LgregCore
import LgregRuntime

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
            InitCommand.self, PackCommand.self, ImportCommand.self, InspectCommand.self, PublishCommand.self,
            ListCommand.self, ShowCommand.self,
            TagCommand.self, RmCommand.self, DuCommand.self, GCCommand.self, FsckCommand.self, ExportCommand.self,
            // Share through OCI registries
            PushCommand.self, PullCommand.self, LoginCommand.self, LogoutCommand.self,
            // Resolve
            UseCommand.self, PlanCommand.self, MaterializeCommand.self,
            // Run and check
            EvalCommand.self, VerifyCommand.self,
            // Browse
            SiteCommand.self,
            // Train
            TrainCommand.self, FinetuneCommand.self, RecordCommand.self,
        ]
    )

    /// Refuses, with exit code 69, an x86-64 CPU without the AVX2 and FMA the runtime is compiled for, before
    /// any of its code runs; then runs the command line, every lgreg error printed as `error: …` with the exit
    /// code `ExitStatus.exitCode(for:)` gives it (README's table).
    /// The commands that spend their time in matrix products: when OpenBLAS fell back to kernels older than the
    /// CPU runs (0.3.21 picks its SSE3 `Prescott` ones for CPU models it does not know, a fifth of the AVX-512
    /// kernels' speed) and `OPENBLAS_CORETYPE` is unset, they start again with it set (see `BLASThreads`).
    static let computeCommands: [ParsableCommand.Type] = [
        TrainCommand.self, FinetuneCommand.self, EvalCommand.self, VerifyCommand.self,
    ]

    static func main() {
        if let refusal = CPUSupport.refusal(missing: CPUSupport.missingOnThisCPU()) {
            FileHandle.standardError.write(Data((refusal + "\n").utf8))
            exit(withError: ExitCode(CPUSupport.unavailableExitCode))
        }
        if let unknown = unknownHelpTopic(Array(CommandLine.arguments.dropFirst())) {
            exit(
                withError: ExitStatus.failure(
                    "'\(unknown.prefix(100))' is not an lgreg command (see 'lgreg --help')", 64))
        }
        var command: ParsableCommand
        do { command = try parseAsRoot() } catch {
            // ArgumentParser validates a command before it looks for arguments it did not use, so a misspelt
            // option would be reported as whatever the validation missed ("Give --depth") instead of by name.
            if exitCode(for: error) == .validationFailure,
                let unknown = UnknownOption.find(in: Array(CommandLine.arguments.dropFirst()))
            {
                let help = (["lgreg"] + (unknown.command.isEmpty ? [] : [unknown.command]) + ["--help"]).joined(
                    separator: " ")
                exit(
                    withError: ExitStatus.failure("unknown option '\(unknown.option.prefix(200))' (see '\(help)')", 64))
            }
            exit(withError: error)
        }
        if computeCommands.contains(where: { $0 == type(of: command) }), let better = BLASThreads.coreTypeToSet() {
            // OpenBLAS chose its kernels when it was loaded, before main: start again with the variable naming
            // the kernels this CPU runs. execv returns only when it fails, and then the loaded kernels serve.
            setenv("OPENBLAS_CORETYPE", better, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
        }
        // One command runs its models one after another: attention may split its heads over the threads.
        KernelThreads.splitsAttention = true
        do {
            try command.run()
        } catch {
            guard let code = ExitStatus.exitCode(for: error) else { exit(withError: error) }
            exit(withError: ExitStatus.failure("\(error)", code))
        }
    }
}

/// The word after `lgreg help` that names no command (ArgumentParser would print the top-level help and exit 0).
func unknownHelpTopic(_ arguments: [String]) -> String? {
    guard arguments.first == "help" else { return nil }
    var command: ParsableCommand.Type = Lgreg.self
    for word in arguments.dropFirst() where !word.hasPrefix("-") {
        guard let next = command.configuration.subcommands.first(where: { $0._commandName == word }) else {
            return word
        }
        command = next
    }
    return nil
}

/// Finds an option the command line gives that its subcommand does not take, from the command tree
/// ArgumentParser describes (`_dumpHelp`).
enum UnknownOption {
    private struct Tool: Decodable { var command: Command }
    private struct Command: Decodable {
        var commandName: String
        var arguments: [Argument]?
        var subcommands: [Command]?
    }
    private struct Argument: Decodable { var names: [Name]? }
    private struct Name: Decodable {
        var kind: String
        var name: String
    }

    /// The first option in `arguments` (before any `--`) that the subcommand they name does not take, with that
    /// subcommand's path (`materialize`, `arch show`); nil when every option is known.
    static func find(in arguments: [String]) -> (option: String, command: String)? {
        guard let tool = try? JSONDecoder().decode(Tool.self, from: Data(Lgreg._dumpHelp().utf8)) else { return nil }
        var command = tool.command
        var path: [String] = []
        for argument in arguments {
            guard let next = command.subcommands?.first(where: { $0.commandName == argument }) else { continue }
            command = next
            path.append(argument)
        }
        var names: Set<String> = ["--help", "-h", "--version"]
        for name in (command.arguments ?? []).flatMap({ $0.names ?? [] }) {
            names.insert((name.kind == "short" ? "-" : "--") + name.name)
        }
        for argument in arguments {
            if argument == "--" { break }
            guard argument.hasPrefix("-"), argument.count > 1, Double(argument) == nil else { continue }
            let name = argument.hasPrefix("--") ? String(argument.prefix { $0 != "=" }) : String(argument.prefix(2))
            if !names.contains(name) { return (name, path.joined(separator: " ")) }
        }
        return nil
    }
}
