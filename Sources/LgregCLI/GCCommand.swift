import ArgumentParser
import Foundation
import LgregStore

/// `lgreg gc [--dry-run] [--grace 7d] [--prune-dangling]`
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete blobs no tag reaches (mark and sweep).",
        discussion: """
            The rule: gc keeps every blob any tag reaches — a learngene's manifest, config and layers, and a derived \
            entry's (a Des-Net, a tuned Des-Net) with everything it derives from, down to its learngene, even when that \
            learngene is no longer tagged (`rm --force` leaves such orphans working). Blobs younger than the grace period are spared (an upload may be in flight), and so are untagged \
            learngene manifests and their blobs (what `lgreg rm` untagged, or what a lost index.json left; `lgreg fsck` \
            lists them as dangling) unless --prune-dangling is given. Temp files whose process is gone are removed, and \
            partial downloads of a pull interrupted longer ago than the grace period (.lgreg/downloads). \
            --dry-run prints what would go and the bytes it would free. \(ExitStatus.help)
            """)

    @Flag(help: "Report, delete nothing.")
    var dryRun = false
    @Option(
        help:
            "How long an unreachable blob must have existed before it is deleted: seconds, or a number with s, m, h or d (at most 36500d)."
    )
    var grace: GracePeriod = GracePeriod(seconds: 7 * 86_400, text: "7d")
    @Flag(help: "Also delete untagged learngene manifests and their blobs (they cannot be recovered afterwards).")
    var pruneDangling = false
    @OptionGroup var store: StoreOptions
    @OptionGroup var format: JSONOption

    func run() throws {
        let report = try store.open(.write).collectGarbage(
            grace: grace.seconds, dryRun: dryRun, pruneDangling: pruneDangling)
        if format.json { return try printReport("gc", report) }
        print(
            "\(dryRun ? "would delete" : "deleted") \(report.blobs.count) blobs, \(formatBytes(report.bytes)) (\(report.bytes) bytes); "
                + "spared \(report.sparedYoung) younger than \(grace.text); kept \(report.danglingKept) dangling learngene(s); \(report.tempFiles) temp files"
        )
    }
}

/// A grace period: seconds, or a number with a unit (s, m, h, d), between 0 and 100 years.
struct GracePeriod: ExpressibleByArgument {
    var seconds: TimeInterval
    var text: String

    init(seconds: TimeInterval, text: String) {
        self.seconds = seconds
        self.text = text
    }

    init?(argument: String) {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let scale = argument.last.flatMap { units[$0] }
        guard let number = Double(scale == nil ? argument : String(argument.dropLast())), number.isFinite, number >= 0
        else { return nil }
        let seconds = number * (scale ?? 1)
        guard seconds <= 36_500 * 86_400 else { return nil }
        self.init(seconds: seconds, text: scale == nil ? "\(argument) s" : argument)
    }
}
