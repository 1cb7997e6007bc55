import ArgumentParser
import Foundation
import LgregCore
import LgregStore

/// `lgreg export aux-b:0.1.0 -o aux-b.lgz`
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a stored learngene as a .lgz archive (manifest and tensor bytes identical to those published).",
        discussion: "The output is written whole and renamed into place; an existing path that is not a regular file (a device, a FIFO, a folder, a link) is refused. \(StoreExit.help)")

    @Argument(help: "name, name:version or a digest prefix.")
    var reference: String
    @Option(name: .shortAndLong, help: "Archive to write.")
    var output: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        try AtomicFileWriter.checkReplaceable(URL(fileURLWithPath: output))
        let stored = try store.open().export(reference, to: URL(fileURLWithPath: output))
        print("\(output): \(stored.manifest.reference) (\(stored.digest.short))")
    }
}
