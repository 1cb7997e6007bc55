import ArgumentParser
import Foundation
import LgregArchive
import LgregReports

/// `lgreg inspect aux-b.lgz`
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Check an archive and print its manifest and tensor table, without extracting it.",
        discussion: "Every check publish makes is made (paths, sizes, digests, shapes). \(ExitStatus.help)")

    @Argument(help: "The .lgz archive.")
    var archive: String
    @OptionGroup var output: OutputOptions

    /// What `--json` prints.
    struct Inspection: Encodable {
        struct Tensor: Encodable {
            var file: String
            var name: String
            var dtype: String
            var shape: [Int]
        }
        var manifest: LearngeneManifest
        var tensors: [Tensor]
    }

    func run() throws {
        let checked = try LearngeneArchive.inspect(URL(fileURLWithPath: archive), label: archive)
        let m = checked.manifest
        var rows: [[ReportTable.Cell]] = []
        for file in checked.files {
            for info in file.header.tensors {
                rows.append([
                    .text(file.record.file), .text(info.name), .text(info.dtype.rawValue),
                    .text("[" + info.shape.map(String.init).joined(separator: ", ") + "]"),
                    .int(info.elementCount, shown: "\(info.elementCount)"),
                ])
            }
        }
        let table = ReportTable(
            columns: [
                .init("file", "File"), .init("tensor", "Tensor"), .init("dtype", "DType"), .init("shape", "Shape"),
                .init("parameters", "Parameters"),
            ],
            rows: rows,
            footer: [
                "\(m.reference) · \(m.kind.rawValue) · schedule \(m.schedule) · \(m.layers.count) layers · \(m.parameters!.stored) parameters · "
                    + (m.provenance.trained ? "trained" : "untrained")
            ])
        if output.format == .json {
            try printReport(
                "inspect",
                Inspection(
                    manifest: m,
                    tensors: checked.files.flatMap { file in
                        file.header.tensors.map {
                            Inspection.Tensor(
                                file: file.record.file, name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape)
                        }
                    }))
        } else {
            print(table.rendered(output.format), terminator: "")
        }
    }
}
