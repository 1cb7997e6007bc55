import ArgumentParser
import Foundation
import LgregArchive
import LgregStore
import LgregZoo

/// `lgreg publish aux-b.lgz [--tag aux-b:1.0]`
struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract:
            "Check an archive, add it to the store and make it the current learngene; prints the manifest digest.",
        discussion: """
            Prints the manifest digest on stdout (alone, for `digest=$(lgreg publish F.lgz)`) and, on stderr, the tag \
            it was published under. The learngene published becomes the current one (`lgreg use`), so that \
            `lgreg publish aux-b.lgz && lgreg materialize --depth 14` materializes Aux-B, and stderr says so; \
            `--no-use` leaves the current learngene as it was. The rule for scripts that publish many: the last \
            publish wins, so a CI job publishes with `--no-use` and names the learngene in every later command (or \
            runs `lgreg use NAME` once, after publishing). \
            Every entry is checked while it streams into the store; a refused archive leaves the store unchanged. \
            A layer already stored (by any learngene) is kept once. Publishing content the tag already holds writes back \
            any of its blobs that are missing and otherwise changes nothing. The store is created if the folder is new or empty.
            \(ExitStatus.help)
            """)

    @Argument(help: "The .lgz archive.")
    var archive: String
    @Option(help: "Tag to publish under, name:version (default: the manifest's name and version).")
    var tag: String?
    @Flag(
        inversion: .prefixedNo,
        help: "Make the published learngene the current one (the default; see `lgreg use`), or leave it as it was.")
    var use = true
    @OptionGroup var store: StoreOptions
    @OptionGroup var format: JSONOption

    func run() throws {
        let opened = try store.open(.create)
        let result = try opened.publish(archive: URL(fileURLWithPath: archive), tag: tag)
        let previous = try CurrentLearngene.get(in: opened)
        if use, previous != result.reference { try CurrentLearngene.set(result.reference, in: opened) }
        // Said after the publish: an error, when there is one, stays the first line on stderr.
        var notes: [String] = []
        if opened.created { notes.append("created store at \(opened.layout.root.path)") }
        notes.append(
            "published \(result.reference) (\(result.digest)): \(result.newBlobs) new, \(result.reusedBlobs) reused blobs"
                + (result.alreadyPublished ? " (already published)" : ""))
        if use {
            notes.append(
                previous == result.reference
                    ? "current learngene: \(result.reference) (unchanged)"
                    : "current learngene: \(result.reference)\(previous.map { ", was \($0)" } ?? "") (--no-use keeps the current one; lgreg use switches)"
            )
        }
        FileHandle.standardError.write(Data(notes.map { $0 + "\n" }.joined().utf8))
        if format.json {
            try printReport("publish", result)
        } else {
            print(result.digest)
        }
    }
}
