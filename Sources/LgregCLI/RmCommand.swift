import ArgumentParser
import LgregStore

/// `lgreg rm aux-b:0.1.0`
struct RmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove tags: one name:version, every version of a name, or every tag of a digest.",
        discussion: "The blobs stay until `lgreg gc`. Removing a learngene's last tag lists what was derived from it and stays (materialized and tuned Des-Nets). \(StoreExit.help)")

    @Argument(help: "name:version, name, or a digest prefix.")
    var reference: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        let opened = try store.open(.write)
        let learngenes = Set(try opened.list().map(\.digest))
        for tag in try opened.remove(reference) { print("removed \(tag)") }
        // A learngene no tag names any more leaves what was derived from it (Des-Nets, tuned Des-Nets) in place.
        for gone in learngenes.subtracting(try opened.list().map(\.digest)).sorted(by: { $0.description < $1.description }) {
            let left = try opened.derivedArtifacts(of: gone)
            if !left.isEmpty { print("left \(left.count) derived artifact(s) of \(gone.short): \(left.map(\.reference).joined(separator: ", "))") }
        }
    }
}
