import ArgumentParser
import Foundation
import LgregCore
import LgregRuntime
import LgregStore
import LgregZoo

/// `lgreg verify aux-fmnist:1` or `lgreg verify --all`: is a stored learngene intact and does it do what it says?
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Checks stored learngenes and Des-Nets: blobs, manifest, parameter budget, and every declared untuned accuracy re-measured.",
        discussion: """
            For each learngene: every blob is re-hashed against its digest and size; the manifest is validated; the \
            parameters in its tensors are counted against the manifest's budget; and every declared result with \
            tunedEpochs 0 is rebuilt (depth, strategy, order), evaluated on its declared eval set (fashion-mnist:test, \
            fashion-mnist:train or an eval-set file) and compared with the declared top-1 within --tolerance points. \
            A Des-Net (its tag or digest): its learngene is present, its blobs hash right, its recorded plan rebuilds \
            from the learngene, and each result the learngene declares for that plan is re-measured. \
            Evaluation is deterministic. Results a learngene declares after fine-tuning are listed as skipped: the tuned \
            weights are not part of the learngene; a tuned Des-Net in the store (`lgreg finetune`) is re-measured from its \
            own weights. --depths re-measures only the results at those depths (a subset for CI; the others are counted in one \
            line). A random-assigned result names its seed. Each verdict is recorded in the store's index. With --record the report about a learngene \
            is also stored as a derived artifact (artifactType application/vnd.lgreg.verification.v1, subject the \
            learngene, tag NAME-verification:VERSION, replaced by a later record) that push/pull --with-referrers carry. --json follows \
            Schemas/verify-report.schema.json. \(VerifyCommand.ciHelp) Exit status: 0 all good; 1 a mismatch or damage; \
            2 something could not be verified (a missing data set, an unknown strategy) or there is nothing to verify; \
            3 (--merge) the reports are not every shard of one run exactly once; 64 bad usage; 65 (--merge) a report \
            that is not a shard's verify --json; 74 a file that cannot be read or written.
            """)

    @Argument(
        help:
            "A stored learngene or Des-Net (name, name:version or digest prefix), or HOST[:PORT]/REPO@sha256:… to pull what is missing first."
    )
    var reference: String?

    @Flag(help: "Verify every tagged learngene in the store (Des-Nets are verified when named).")
    var all = false

    @Flag(help: "Store the report as a derived artifact of the learngene, tagged NAME-verification:VERSION.")
    var record = false

    @Option(help: "Largest accepted difference between declared and measured top-1, in percentage points.")
    var tolerance = 0.1

    @OptionGroup var evaluation: EvaluationOptions

    @Option(
        help:
            "Re-measure only the results at these depths (6-15, 6,12); the others are counted in one skipped line (--json lists each). A CI subset."
    )
    var depths: String?

    @Option(
        help: "With --all: check only shard K of N (e.g. 2/4), a stable part of the run for one job of a CI matrix.")
    var shard: String?

    @Option(
        parsing: .upToNextOption,
        help: "Merge the --json reports of every shard of one run into the report of the whole run (no store read).")
    var merge: [String] = []

    @Option(help: "Also write the report as JUnit XML to this file, for CI (one test case per check).")
    var junit: String?

    @OptionGroup var store: StoreOptions

    @OptionGroup var output: JSONOption

    @OptionGroup var registry: RegistryOptionGroup

    func validate() throws {
        if !merge.isEmpty { return try validateMerge() }
        if let shard {
            guard Verifier.Shard(parsing: shard) != nil else {
                throw ValidationError("--shard takes K/N with 1 ≤ K ≤ N (e.g. 2/4), got '\(shard)'.")
            }
            guard all else { throw ValidationError("--shard splits --all; give --all.") }
        }
        if reference != nil, all { throw ValidationError("Give a learngene reference or --all, not both.") }
        if record, reference == nil { throw ValidationError("--record takes one learngene reference, not --all.") }
        if reference == nil, !all {
            throw ValidationError("Give a learngene reference to verify, or --all for every learngene in the store.")
        }
        guard tolerance >= 0, tolerance.isFinite else {
            throw ValidationError(
                "--tolerance must be a finite number of percentage points, at least 0; got \(tolerance).")
        }
    }

    func run() throws {
        if !merge.isEmpty { return try runMerge() }
        var settings = Verifier.Settings(
            tolerance: tolerance, dataDirectory: evaluation.dataDirectory,
            evaluation: EvaluationSettings(batchSize: evaluation.batchSize, progress: TerminalProgress.reporter),
            depths: try depths.map { Set(try parseDepths($0)) })
        settings.shard = shard.flatMap(Verifier.Shard.init(parsing:))
        let local = try reference.map(storeReference)
        let opened = try store.open(record ? .write : .read)
        let learngene = try record ? local.map { try opened.resolve($0) } : nil
        let report = try Verifier(store: opened, settings: settings).verify(local.map { [$0] } ?? [])
        let recorded = try learngene.map { try Verifier.record(report: try encodedJSON(report), of: $0, in: opened) }
        try finish(report, depths: settings.depths) {
            if let recorded { print("recorded the report as \(recorded.reference) \(recorded.digest)") }
        }
    }

    /// Prints `report` (JSON or text), writes it as JUnit when asked, and exits by its status.
    func finish(_ report: Verifier.Report, depths depthSet: Set<Int>?, then: () -> Void = {}) throws {
        try writeJUnit(report)
        if output.json {
            try printJSON(report)
        } else {
            let settings = (depths: depthSet, shard: report.shard)
            // In a shard's report, the checks another shard makes are counted, not listed (--json lists them).
            let mine = { (check: Verifier.Check) in check.shard.map { $0 == settings.shard?.index } ?? true }
            for verdict in report.learngenes {
                if let text = shardLine(verdict, shard: report.shard) {
                    print(text)
                    continue
                }
                print("\(verdict.reference) \(verdict.digest ?? ""): \(verdict.status.rawValue)")
                // Results outside --depths are counted, not listed one by one (--json lists them).
                let outside = verdict.checks.filter { check in
                    mine(check) && check.status == .skipped && check.check == "result"
                        && settings.depths.map { depths in check.depth.map { !depths.contains($0) } ?? false } == true
                }
                let elsewhere = verdict.checks.filter { !mine($0) }.count
                for check in verdict.checks where mine(check) && !outside.contains(where: { $0.detail == check.detail })
                {
                    print(
                        "  \(check.status.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) \(check.check): \(check.detail)"
                    )
                }
                if !outside.isEmpty {
                    print(
                        "  \("skipped".padding(toLength: 13, withPad: " ", startingAt: 0)) result: \(Plural.count(outside.count, "declared result")) at other depths than --depths \(depths ?? depthSet.map { $0.sorted().map(String.init).joined(separator: ",") } ?? "") (--json lists them)"
                    )
                }
                if let shard = settings.shard, elsewhere > 0 {
                    print(
                        "  \("skipped".padding(toLength: 13, withPad: " ", startingAt: 0)) \(Plural.count(elsewhere, "check")) made by the other shards of \(shard.count) (--json lists them)"
                    )
                }
            }
            if let throughput = report.evaluation.throughput { print(throughput.summary) }
            then()
        }
        switch report.status {
        case .ok, .skipped: return
        case .mismatch: throw ExitCode(1)
        case .cannotVerify: throw ExitCode(2)
        }
    }
}
