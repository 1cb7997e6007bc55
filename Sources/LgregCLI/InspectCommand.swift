import ArgumentParser
import Foundation
import LgregArchive
import LgregReports

/// `lgreg inspect aux-b.lgz`
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Check an archive and print its manifest and tensor table, without extracting it.",
        discussion: "Every check publish makes is made (paths, sizes, digests, shapes). \(StoreExit.help)")

    @Argument(help: "The .lgz archive.")
    var archive: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try StoreExit.run {
            let checked = try LearngeneArchive.read(URL(fileURLWithPath: archive), label: archive)
            let m = checked.manifest
            var rows: [[ReportTable.Cell]] = []
            for file in checked.files {
                for info in file.tensors.tensors {
                    rows.append([.text(file.record.file), .text(info.name), .text(info.dtype.rawValue),
                                 .text("[" + info.shape.map(String.init).joined(separator: ", ") + "]"),
                                 .int(info.elementCount, shown: "\(info.elementCount)")])
                }
            }
            let table = ReportTable(
                columns: [.init("file", "File"), .init("tensor", "Tensor"), .init("dtype", "DType"), .init("shape", "Shape"), .init("parameters", "Parameters")],
                rows: rows,
                footer: ["\(m.reference) · \(m.kind.rawValue) · schedule \(m.schedule) · \(m.layers.count) layers · \(m.parameters!.stored) parameters · " +
                         (m.provenance.trained ? "trained" : "untrained")])
            if output.format == .json {
                struct Inspection: Encodable {
                    var manifest: LearngeneManifest
                    var tensors: [[String: String]]
                }
                let tensors = rows.map { row in Dictionary(uniqueKeysWithValues: zip(["file", "tensor", "dtype", "shape", "parameters"], row.map(\.shown))) }
                try printJSON(Inspection(manifest: m, tensors: tensors))
            } else {
                print(table.rendered(output.format), terminator: "")
            }
        }
    }
}
