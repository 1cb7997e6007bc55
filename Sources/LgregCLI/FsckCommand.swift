import ArgumentParser
import Foundation
import LgregStore

/// `lgreg fsck [--rebuild-index]`
struct FsckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Re-hash every blob, check every tag's manifest, quarantine damage; exit 1 on damage.",
        discussion: """
            Everything is checked and every problem reported. A blob whose content does not match its name moves to \
            .lgreg/quarantine/; publishing its archive again restores it. Untagged learngene and Des-Net manifests are \
            listed as dangling (not damage). A missing or unreadable index.json is damage: --rebuild-index writes it \
            anew from the manifests in blobs/. The index database is rebuilt from the layout. \(ExitStatus.help)
            """)

    @Flag(
        help:
            "Rebuild the index database; when index.json is missing or unreadable, rebuild it too from the manifests in blobs/."
    )
    var rebuildIndex = false
    @OptionGroup var store: StoreOptions
    @OptionGroup var format: JSONOption

    func run() throws {
        let onTerminal = isatty(STDERR_FILENO) != 0
        let report = try store.open(.write).check(rebuildIndex: rebuildIndex) { done, total in
            guard onTerminal else { return }
            FileHandle.standardError.write(
                Data("\rfsck: \(done)/\(total) blobs re-hashed\(done == total ? "\n" : "")".utf8))
        }
        if format.json {
            try printReport("fsck", report)
        } else {
            for tag in report.restoredTags { print("restored tag \(tag)") }
            for dangling in report.dangling {
                print(
                    "dangling \(dangling.artifactType == OCIMediaType.learngene ? "learngene" : "artifact") \(dangling.digest)"
                        + (dangling.reference.map { " (\($0))" } ?? ""))
            }
            for problem in report.problems {
                print(
                    "damaged: \(problem.subject): \(problem.reason)"
                        + (problem.quarantinedTo.map { " (moved to \($0))" } ?? ""))
            }
            print(
                "\(report.blobsChecked) blobs (\(formatBytes(report.bytesChecked))) and \(report.manifestsChecked) tags checked: "
                    + (report.clean ? "clean" : "\(report.problems.count) problem(s)")
                    + (report.rebuiltIndex ? "; index rebuilt" : ""))
        }
        if !report.clean { throw ExitCode(1) }
    }
}
