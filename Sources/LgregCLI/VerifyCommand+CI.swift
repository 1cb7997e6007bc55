import ArgumentParser
import Foundation
import LgregCore
import LgregZoo

/// `verify --shard`, `--merge` and `--junit`: verification split over the jobs of a CI matrix and put back together.
extension VerifyCommand {
    /// What the help says about them.
    static let ciHelp = """
        --all --shard K/N checks one part of the run: each declared result, each learngene's own checks (blobs, \
        manifest, parameters: every shard runs them before measuring, the one that owns them reports them) and each \
        Des-Net belongs to exactly one of the N shards, dealt by the SHA-256 of its identity (never by the order the \
        store lists them), results whose layer maps share a prefix together and the shards' blocks per image \
        balanced; a shard lists the other shards' checks as \
        skipped, records nothing in the index, and its --json names its shard and the whole run. \
        --merge REPORT… puts the --json reports of all N shards back together into the report one --all prints \
        (text, --json, --junit), refusing a shard missing or given twice and shards of different stores or settings. \
        --junit FILE also writes the report as JUnit XML (one testsuite per entry, one testcase per check: a \
        mismatch is a failure, cannot-verify an error).
        """

    /// The options --merge takes: the reports, --json and --junit.
    func validateMerge() throws {
        if reference != nil || all || shard != nil || record || depths != nil {
            throw ValidationError(
                "--merge reads the shards' reports only: give no reference, --all, --shard, --record or --depths.")
        }
    }

    /// `verify --merge REPORT…`.
    func runMerge() throws {
        let reports = try merge.map(Verifier.readShardReport)
        let depths = reports.first?.shard?.depths.map(Set.init)
        try finish(try Verifier.merge(reports, files: merge), depths: depths)
    }

    /// Writes `report` as JUnit XML to --junit's file, when given.
    func writeJUnit(_ report: Verifier.Report) throws {
        guard let junit else { return }
        try AtomicFileWriter.write(Data(JUnitReport.xml(report).utf8), to: URL(fileURLWithPath: junit))
    }

    /// The one line a shard prints for an entry another shard checks whole; nil for the others.
    func shardLine(_ verdict: Verifier.Verdict, shard: Verifier.ShardSummary?) -> String? {
        guard let shard, let owner = verdict.shard, owner != shard.index else { return nil }
        return "\(verdict.reference): checked by shard \(owner)/\(shard.count)"
    }
}
