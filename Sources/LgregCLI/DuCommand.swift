import ArgumentParser
import Foundation
import LgregReports
import LgregStore
import LgregZoo

/// `lgreg du`: where the store's bytes go, as `huggingface-cli scan-cache` and `ollama list` tell.
struct DuCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "du",
        abstract: "Show the store's disk use: stored, shared across entries, reclaimable by gc, and per entry.",
        discussion: """
            Stored: every blob in the store. Shared: blobs two or more entries reach, counted once (a Des-Net reaches \
            its learngene's layer blobs, so it costs only its manifest and config). Reclaimable: what `lgreg gc` would \
            free once the grace period has passed (blobs no tag reaches); dangling: untagged learngenes, which only \
            `gc --prune-dangling` frees. Per entry: its bytes, those only it reaches (what removing it and gc would \
            free) and those it shares. Reads only. --json follows Schemas/store-output.schema.json. \(ExitStatus.help)
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let opened = try store.open()
        let usage = try opened.usage()
        if output.format == .json { return try printReport("du", usage) }
        let table = ReportTable(
            columns: [
                .init("reference", "Reference"), .init("kind", "Kind"), .init("bytes", "Size"),
                .init("uniqueBytes", "Unique"), .init("sharedBytes", "Shared"),
            ],
            rows: usage.entries.map { e in
                [
                    .text(e.reference), .text(ZooEntry.kind(of: e.artifactType)),
                    .int(e.bytes, shown: formatBytes(e.bytes)),
                    .int(e.uniqueBytes, shown: formatBytes(e.uniqueBytes)),
                    .int(e.sharedBytes, shown: formatBytes(e.sharedBytes)),
                ]
            },
            footer: [
                "",
                "stored:      \(formatBytes(usage.storedBytes)) in \(usage.blobs) blobs (\(usage.storedBytes) bytes) at \(opened.layout.root.path)",
                "shared:      \(formatBytes(usage.sharedBytes)) reached by more than one entry, stored once",
                "reclaimable: \(formatBytes(usage.reclaimableBytes)) no tag reaches (lgreg gc frees it after its grace period)",
                "dangling:    \(formatBytes(usage.danglingBytes)) of untagged learngenes (only lgreg gc --prune-dangling frees it)",
            ])
        print(table.rendered(output.format), terminator: "")
    }
}
