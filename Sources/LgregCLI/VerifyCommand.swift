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
            Schemas/verify-report.schema.json. Exit status: 0 all good; 1 a mismatch or damage; 2 something could not \
            be verified (a missing data set, an unknown strategy) or there is nothing to verify; 64 bad usage.
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

    @Option(
        name: .customLong("data-dir"),
        help: "Directory of Fashion-MNIST's gzipped IDX files, replacing /usr/share/datasets/fashion-mnist.")
    var dataDirectory: String?

    @Option(name: .customLong("batch-size"), help: "Images per forward pass.")
    var batchSize = 64
    @Option(
        help:
            "Re-measure only the results at these depths (6-15, 6,12); the others are counted in one skipped line (--json lists each). A CI subset."
    )
    var depths: String?

    @OptionGroup var store: StoreOptions

    @OptionGroup var output: JSONOption

    @OptionGroup var registry: RegistryOptionGroup

    func validate() throws {
        if reference != nil, all { throw ValidationError("Give a learngene reference or --all, not both.") }
        if record, reference == nil { throw ValidationError("--record takes one learngene reference, not --all.") }
        if reference == nil, !all {
            throw ValidationError("Give a learngene reference to verify, or --all for every learngene in the store.")
        }
        guard tolerance >= 0, tolerance.isFinite else {
            throw ValidationError(
                "--tolerance must be a finite number of percentage points, at least 0; got \(tolerance).")
        }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize).") }
    }

    func run() throws {
        let settings = Verifier.Settings(
            tolerance: tolerance, dataDirectory: dataDirectory,
            evaluation: EvaluationSettings(batchSize: batchSize, progress: TerminalProgress.reporter),
            depths: try depths.map { Set(try parseDepths($0)) })
        let local = try reference.map(storeReference)
        let opened = try store.open(record ? .write : .read)
        let learngene = try record ? local.map { try opened.resolve($0) } : nil
        let report = try Verifier(store: opened, settings: settings).verify(local.map { [$0] } ?? [])
        let recorded = try learngene.map { try Verifier.record(report: try encodedJSON(report), of: $0, in: opened) }
        if output.json {
            try printJSON(report)
        } else {
            for verdict in report.learngenes {
                print("\(verdict.reference) \(verdict.digest ?? ""): \(verdict.status.rawValue)")
                // Results outside --depths are counted, not listed one by one (--json lists them).
                let outside = verdict.checks.filter { check in
                    check.status == .skipped && check.check == "result"
                        && settings.depths.map { depths in check.depth.map { !depths.contains($0) } ?? false } == true
                }
                for check in verdict.checks where !outside.contains(where: { $0.detail == check.detail }) {
                    print(
                        "  \(check.status.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) \(check.check): \(check.detail)"
                    )
                }
                if !outside.isEmpty {
                    print(
                        "  \("skipped".padding(toLength: 13, withPad: " ", startingAt: 0)) result: \(Plural.count(outside.count, "declared result")) at other depths than --depths \(depths ?? "") (--json lists them)"
                    )
                }
            }
            if let throughput = report.evaluation.throughput { print(throughput.summary) }
            if let recorded { print("recorded the report as \(recorded.reference) \(recorded.digest)") }
        }
        switch report.status {
        case .ok, .skipped: return
        case .mismatch: throw ExitCode(1)
        case .cannotVerify: throw ExitCode(2)
        }
    }
}
