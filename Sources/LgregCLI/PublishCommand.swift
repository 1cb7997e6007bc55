import ArgumentParser
import Foundation
import LgregArchive
import LgregStore
import LgregZoo

/// `lgreg publish aux-b.lgz [--tag aux-b:1.0]`
struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Check an archive and add it to the store; prints the manifest digest.",
        discussion: """
            Every entry is checked while it streams into the store; a refused archive leaves the store unchanged. \
            A layer already stored (by any learngene) is kept once. Publishing content the tag already holds writes back \
            any of its blobs that are missing and otherwise changes nothing. The store is created if the folder is new or empty.
            \(ExitStatus.help)
            """)

    @Argument(help: "The .lgz archive.")
    var archive: String
    @Option(help: "Tag to publish under, name:version (default: the manifest's name and version).")
    var tag: String?
    @Flag(help: "Make the published learngene the current one (see `lgreg use`).")
    var use = false
    @OptionGroup var store: StoreOptions
    @OptionGroup var format: JSONOption

    func run() throws {
        let opened = try store.open(.create)
        let result = try opened.publish(archive: URL(fileURLWithPath: archive), tag: tag)
        if use { try CurrentLearngene.set(result.reference, in: opened) }
        // Said once, after the publish: an error, when there is one, stays the first line on stderr.
        if opened.created { FileHandle.standardError.write(Data("created store at \(opened.layout.root.path)\n".utf8)) }
        if format.json {
            try printReport("publish", result)
        } else {
            print(result.digest)
            if isatty(STDERR_FILENO) != 0 {
                FileHandle.standardError.write(
                    Data(
                        "\(result.reference): \(result.newBlobs) new, \(result.reusedBlobs) reused blobs\(result.alreadyPublished ? " (already published)" : "")\n"
                            .utf8))
            }
        }
    }
}
