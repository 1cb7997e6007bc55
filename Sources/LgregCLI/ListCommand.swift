import ArgumentParser
import Foundation
import LgregReports
import LgregStore

/// `lgreg list`
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the learngenes in the store, one row per tag.",
        discussion: StoreExit.help)

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try StoreExit.run {
            let rows = try store.open().list()
            if output.format == .json { return try printReport("list", rows) }
            let table = ReportTable(
                columns: [.init("reference", "Reference"), .init("digest", "Digest"), .init("kind", "Kind"), .init("layers", "Layers"),
                          .init("parameters", "Params (M)"), .init("bytes", "Size"), .init("created", "Created")],
                rows: rows.map { r in
                    [.text(r.reference), .text(r.digest.short), .text(r.kind), .int(r.layers, shown: "\(r.layers)"), .millions(r.storedParameters),
                     .int(r.totalBytes, shown: formatBytes(r.totalBytes)), r.created.map { .text($0) } ?? .empty]
                })
            print(table.rendered(output.format), terminator: "")
        }
    }
}
