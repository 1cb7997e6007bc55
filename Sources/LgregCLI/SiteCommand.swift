import ArgumentParser
import Foundation
import LgregCore
import LgregSite
import LgregVocabulary

/// `lgreg site -o site`, `lgreg site aux-b fmnist-tiny-sws-d12:2-cyclic-ft1 -o site`
struct SiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site",
        abstract: "Write a static site of the store (or of the entries named) that a browser opens from disk.",
        discussion: """
            DIR gets index.html (every learngene, Des-Net and tuned Des-Net, one row per tag: kind, layers or depth, \
            parameters, size, top-1 and the last `lgreg verify` verdict, with a filter box and sortable columns, and the \
            accuracy report with its plots), a page per entry (a learngene's model card, declared results, lineage, \
            accuracy plots, savings against pre-training every depth, digests and the commands to pull, materialize and \
            export it; a Des-Net's or tuned Des-Net's lineage, configuration or recipe, recorded and re-measured top-1 \
            and export command), site.css, site.js and site.json (what was written, Schemas/site.schema.json). A \
            learngene named brings every entry derived from it. Links are relative and nothing is loaded from the \
            network, so the folder opens from file:// and from any static host; the same store gives the same bytes. \
            Every name, description and card field is escaped. DIR is replaced as a whole; a folder holding files \
            another site did not write is refused. --json prints site.json with the folder. \(ExitStatus.help)
            """)

    @Argument(
        help: "Learngenes (with what derives from them), Des-Nets or tuned Des-Nets (default: everything in the store)."
    )
    var references: [String] = []
    @Option(name: .shortAndLong, help: "Folder to write the site into.")
    var output: String
    @OptionGroup var store: StoreOptions
    @OptionGroup var json: JSONOption

    func run() throws {
        let opened = try store.open()
        let names = try references.map { try ModelReference.entry($0) }
        var contents = try StaticSite.write(names, in: opened, to: URL(fileURLWithPath: output))
        contents.output = output
        if json.json { return try printJSON(contents) }
        print(
            "\(output)/index.html: \(Plural.count(contents.pages.count, "entry page")), \(Plural.count(contents.files.count, "file")) in all"
        )
    }
}
