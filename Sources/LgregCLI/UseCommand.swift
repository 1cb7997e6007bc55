import ArgumentParser
import Foundation
import LgregStore
import LgregVocabulary
import LgregZoo

/// `lgreg use aux-b`: the learngene that `plan`, `materialize`, `eval`, `report savings` and `show` take when
/// none is named.
struct UseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "use",
        abstract: "Set or show the current learngene, used by commands given no learngene.",
        discussion: """
            Like `kubectl config use-context` or a git branch: `lgreg use aux-b` makes `lgreg materialize --depth 14` \
            mean `lgreg materialize aux-b --depth 14`. A bare name follows the learngene's latest version; name:version \
            pins one. The choice is kept in the store (.lgreg/config.json, Schemas/store-config.schema.json); `lgreg \
            list` marks it. Without a current learngene, a store holding exactly one learngene uses that one. With no \
            argument, prints the current learngene. \(ExitStatus.help)
            """)

    @Argument(help: "A stored learngene: name, name:version or a digest prefix.")
    var reference: String?
    @Flag(help: "Forget the current learngene.")
    var clear = false
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption

    func validate() throws {
        if clear, reference != nil { throw ValidationError("Give a learngene to use, or --clear, not both.") }
    }

    /// What `--json` prints.
    struct Report: Encodable {
        var schemaVersion = 1
        /// The reference as recorded, or null when none is set.
        var current: String?
        /// The tag and digest it resolves to now.
        var tag: String?
        var digest: String?
    }

    func run() throws {
        let opened = try store.open(clear || reference != nil ? .write : .read)
        if clear { try CurrentLearngene.set(nil, in: opened) }
        if let reference { try CurrentLearngene.set(try ModelReference.entry(reference), in: opened) }
        var report = Report(current: try CurrentLearngene.get(in: opened))
        if let current = report.current {
            do {
                let learngene = try opened.resolve(current)
                report.tag = learngene.tags.first
                report.digest = learngene.digest.description
            } catch StoreError.notFound(_) {
                throw ZooError.currentLearngeneGone(reference: current)
            }
        }
        if output.json { return try printJSON(report) }
        if let current = report.current {
            print("current learngene: \(current) (\(report.tag ?? current) \(report.digest ?? ""))")
        } else {
            print(
                "no current learngene\(clear ? " (cleared)" : ""): commands given no learngene use the store's only one, if it holds exactly one"
            )
        }
    }
}
