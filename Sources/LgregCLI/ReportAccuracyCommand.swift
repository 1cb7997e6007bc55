import ArgumentParser
import Foundation
import LgregCore
import LgregReports
import LgregZoo

extension ReportCommand {
    /// `lgreg report accuracy aux-sws scratch-fmnist-small --svg accuracy.svg`: untuned and tuned top-1 of every
    /// strategy at every depth beside the parameters each approach stores.
    struct Accuracy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Top-1 of every strategy at every depth, untuned and tuned, against the parameters each approach stores.",
            discussion: """
                For each learngene named: its declared results on the Fashion-MNIST test set (untuned, per strategy and \
                order) and every tuned Des-Net recorded from it (lgreg finetune); for a tuned Des-Net's tag, that entry; for a \
                name whose versions are tuned Des-Nets (scratch-fmnist-tiny-d12), every version. No REF: everything in the \
                store. A strategy measured over several seeds (random-assigned) shows the mean and the min–max range (--json \
                adds the sample standard deviation). Stored (M) is what the approach keeps to make the Des-Net: the learngene \
                once for every depth, or from scratch the Des-Net itself, as PF keeps one model per depth; the footer sets each \
                learngene against PF (the savings report's P-S total). --svg FILE writes the figure instead of printing the \
                table (add --json, --csv or --markdown to print it as well): (a) untuned and (b) tuned top-1 against \
                depth, a line per strategy, each series its own colour and marker, baselines far below on a panel of \
                their own; (c) mean top-1 against the parameters stored for all the depths. --json follows \
                Schemas/accuracy-report.schema.json. \(ExitStatus.help)
                """)

        @Argument(
            help:
                "Learngenes (name, name:version, digest prefix), tuned Des-Net tags or names (default: everything in the store)."
        )
        var references: [String] = []
        @Option(
            help: "Write the plots as an SVG file here (the table is then printed only with --json/--csv/--markdown).")
        var svg: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var store: StoreOptions

        func run() throws {
            let report = try AccuracyCollection.report(references, in: try store.open())
            if let svg {
                try AtomicFileWriter.write(Data(AccuracyPlot.svg(report).utf8), to: URL(fileURLWithPath: svg))
                if output.format == .text {
                    return print(
                        "wrote \(svg): \(report.series.count) series, \(report.rows.count) rows (the table: without --svg)"
                    )
                }
            }
            switch output.format {
            case .json: try printJSON(report)
            case let format: print(report.table.rendered(format), terminator: "")
            }
        }
    }
}
