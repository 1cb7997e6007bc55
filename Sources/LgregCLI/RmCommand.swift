import ArgumentParser
import LgregStore

/// `lgreg rm aux-b:0.1.0`
struct RmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove tags: one name:version, every version of a name, or every tag of a digest.",
        discussion: "The blobs stay until `lgreg gc`. \(StoreExit.help)")

    @Argument(help: "name:version, name, or a digest prefix.")
    var reference: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        for tag in try store.open(.write).remove(reference) { print("removed \(tag)") }
    }
}
