import ArgumentParser
import LgregReports

/// The output-format flags every reporting command takes.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON, for scripts and CI.")
    var json = false
    @Flag(name: .long, help: "Print CSV with a header row.")
    var csv = false
    @Flag(name: .long, help: "Print a Markdown table.")
    var markdown = false

    func validate() throws {
        if [json, csv, markdown].filter({ $0 }).count > 1 {
            throw ValidationError("Choose at most one of --json, --csv and --markdown.")
        }
    }

    /// The chosen format; a plain aligned table when no flag is given.
    var format: ReportTable.Format {
        json ? .json : csv ? .csv : markdown ? .markdown : .text
    }
}

/// `--json`, for the commands whose output is a result rather than a table.
struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print the result as JSON, for scripts and CI (the command's schema is in Schemas/).")
    var json = false
}
