import ArgumentParser
import Foundation
import LgregStore

/// `lgreg gc [--dry-run] [--grace 3600]`
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete blobs no tag reaches (mark and sweep).",
        discussion: """
        Blobs younger than the grace period are spared (an upload may be in flight), as are temp files. \
        --dry-run prints what would go and the bytes it would free. \(StoreExit.help)
        """)

    @Flag(help: "Report, delete nothing.")
    var dryRun = false
    @Option(help: "Seconds an unreachable blob or temp file must have existed before it is deleted.")
    var grace: Double = 3600
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard grace >= 0 else { throw ValidationError("--grace must be at least 0 seconds.") }
    }

    func run() throws {
        try StoreExit.run {
            let report = try store.open().collectGarbage(grace: grace, dryRun: dryRun)
            if json { return try printReport("gc", report) }
            print("\(dryRun ? "would delete" : "deleted") \(report.blobs.count) blobs, \(formatBytes(report.bytes)) (\(report.bytes) bytes); " +
                  "spared \(report.sparedYoung) younger than \(Int(grace)) s; \(report.tempFiles) temp files")
        }
    }
}
