import ArgumentParser
import Foundation
import LgregStore

/// `lgreg fsck [--rebuild-index]`
struct FsckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Re-hash every blob, check every tag's manifest, quarantine damage; exit 1 on damage.",
        discussion: """
        A blob whose content does not match its name moves to .lgreg/quarantine/. The index database is rebuilt \
        from the layout. \(StoreExit.help)
        """)

    @Flag(help: "Rebuild the index database from the layout (it is a cache of index.json and the blobs).")
    var rebuildIndex = false
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try StoreExit.run {
            let onTerminal = isatty(STDERR_FILENO) != 0
            let report = try store.open().check(rebuildIndex: rebuildIndex) { done, total in
                guard onTerminal else { return }
                FileHandle.standardError.write(Data("\rfsck: \(done)/\(total) blobs re-hashed\(done == total ? "\n" : "")".utf8))
            }
            if json {
                try printReport("fsck", report)
            } else {
                for problem in report.problems {
                    print("damaged: \(problem.subject): \(problem.reason)" + (problem.quarantinedTo.map { " (moved to \($0))" } ?? ""))
                }
                print("\(report.blobsChecked) blobs (\(formatBytes(report.bytesChecked))) and \(report.manifestsChecked) tags checked: " +
                      (report.clean ? "clean" : "\(report.problems.count) problem(s)") + (report.rebuiltIndex ? "; index rebuilt" : ""))
            }
            if !report.clean { throw ExitCode(1) }
        }
    }
}
