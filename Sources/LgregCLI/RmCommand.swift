import ArgumentParser
import Foundation
import LgregStore
import LgregVocabulary
import LgregZoo

/// `lgreg rm aux-b:0.1.0`
struct RmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove tags: one name:version, every version of a name, or every tag of a digest.",
        discussion: """
            A learngene (or Des-Net) that would lose its last tag while entries derived from it are still tagged is \
            not removed: rm exits 1 naming them, unless --with-derived (remove their tags too) or --force (leave them \
            orphaned; they keep working, since gc keeps what a tagged entry derives from). The blobs stay until \
            `lgreg gc`. \(ExitStatus.help)
            """)

    @Argument(help: "name:version, name, or a digest prefix.")
    var reference: String
    @Flag(
        name: .customLong("with-derived"),
        help: "Also remove the tags of the entries derived from what is removed (its Des-Nets).")
    var withDerived = false
    @Flag(help: "Remove even when derived entries are left orphaned.")
    var force = false
    @OptionGroup var store: StoreOptions

    func validate() throws {
        if withDerived, force { throw ValidationError("Give --with-derived or --force, not both.") }
    }

    func run() throws {
        let result = try EntryRemoval.remove(
            try ModelReference.entry(reference), in: try store.open(.write),
            policy: withDerived ? .remove : force ? .orphan : .refuse)
        for tag in result.removed { print("removed \(tag)") }
        for tag in result.orphaned {
            FileHandle.standardError.write(
                Data("warning: \(tag) is left orphaned: what it derives from is no longer tagged\n".utf8))
        }
    }
}
