import ArgumentParser
import LgregStore
import LgregVocabulary

/// `lgreg tag aux-b:0.1.0 aux-b:stable`
struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Give a stored learngene another name:version tag.",
        discussion: ExitStatus.help)

    @Argument(
        help:
            "Existing reference: name, name:version, a digest prefix, or the full digest of an untagged (dangling) manifest."
    )
    var source: String
    @Argument(help: "New tag, name:version.")
    var target: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        print(try store.open(.write).tag(try ModelReference.entry(source), as: target))
    }
}
