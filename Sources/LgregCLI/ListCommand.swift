import ArgumentParser
import Foundation
import LgregReports
import LgregStore
import LgregZoo

/// `lgreg list`
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the learngenes in the store, one row per tag.",
        discussion: """
        A damaged entry (a blob missing or unreadable; `lgreg fsck` says more) is listed with kind DAMAGED and a \
        warning on stderr, and the exit status is then 1. Where there is no store yet the listing is empty. The \
        current learngene (`lgreg use`) is marked with *. With HOST/REPO it lists a registry's tags instead (see \
        `lgreg pull`). \
        \(StoreExit.help)
        """)

    @Argument(help: "HOST[:PORT]/REPOSITORY lists a registry repository's tags, HOST[:PORT]/ the registry's catalog (text or --json).")
    var remote: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var registry: RegistryOptionGroup

    func run() throws {
        if let remote { return try RemoteListing.run(remote, json: output.json, registry: registry) }
        var rows: [LearngeneSummary]
        do {
            let opened = try store.open()
            rows = try opened.list()
            for index in rows.indices { rows[index].current = try CurrentLearngene.marks(rows[index], in: opened) }
        } catch StoreError.noStore { rows = [] }
        try render(rows)
        let damaged = rows.filter { $0.damage != nil }
        for row in damaged { FileHandle.standardError.write(Data("warning: \(row.reference) is damaged: \(row.damage ?? "")\n".utf8)) }
        if !damaged.isEmpty { throw ExitCode(1) }
    }

    private func render(_ rows: [LearngeneSummary]) throws {
        if output.format == .json { return try printReport("list", rows) }
        let table = ReportTable(
            columns: [.init("current", " "), .init("reference", "Reference"), .init("digest", "Digest"), .init("kind", "Kind"), .init("layers", "Layers"),
                      .init("parameters", "Params (M)"), .init("bytes", "Size"), .init("created", "Created")],
            rows: rows.map { r in
                [.text(r.current ? "*" : ""), .text(r.reference), .text(r.digest.short), .text(r.damage == nil ? r.kind : "DAMAGED"), .int(r.layers, shown: "\(r.layers)"), .millions(r.storedParameters),
                 .int(r.totalBytes, shown: formatBytes(r.totalBytes)), r.created.map { .text($0) } ?? .empty]
            })
        print(table.rendered(output.format), terminator: "")
    }
}
