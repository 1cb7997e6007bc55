import ArgumentParser
import Foundation
import LgregArchive
import LgregResolver
import LgregRuntime
import LgregStore

/// `lgreg verify aux-fmnist:1` or `lgreg verify --all`: is a stored learngene intact and does it do what it says?
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Checks stored learngenes: blobs, manifest, parameter budget, and every declared untuned accuracy re-measured.",
        discussion: """
        For each learngene: every blob is re-hashed against its digest and size; the manifest is validated; the \
        parameters in its tensors are counted against the manifest's budget; and every declared result with \
        tunedEpochs 0 is rebuilt (depth, strategy, order), evaluated on its declared eval set (fashion-mnist-test, \
        fashion-mnist-train or an eval-set file) and compared with the declared top-1 within --tolerance points. \
        Evaluation is deterministic. Results after fine-tuning are listed as skipped: the tuned weights are not part \
        of the learngene. Each verdict is recorded in the store's index. --json follows \
        Schemas/verify-report.schema.json. Exit status: 0 all good; 1 a mismatch or damage; 2 something could not \
        be verified (a missing data set, an unknown strategy); 64 bad usage.
        """)

    @Argument(help: "A stored learngene (name, name:version or digest prefix).")
    var reference: String?

    @Flag(help: "Verify every tagged learngene in the store.")
    var all = false

    @Option(help: "Largest accepted difference between declared and measured top-1, in percentage points.")
    var tolerance = 0.1

    @Option(name: .customLong("data-dir"), help: "Directory of Fashion-MNIST's gzipped IDX files, replacing /usr/share/datasets/fashion-mnist.")
    var dataDirectory: String?

    @Option(name: .customLong("batch-size"), help: "Images per forward pass.")
    var batchSize = 64

    @OptionGroup var store: StoreOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        if (reference == nil) == !all { throw ValidationError("Give a learngene reference or --all, not both.") }
        guard tolerance >= 0 else { throw ValidationError("--tolerance must be at least 0, got \(tolerance).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize).") }
    }

    /// How one check ended.
    enum Status: String, Encodable, Comparable {
        case ok, skipped
        case cannotVerify = "cannot-verify"
        case mismatch

        private var rank: Int { [.ok: 0, .skipped: 0, .cannotVerify: 1, .mismatch: 2][self]! }
        static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    /// One line of the report.
    struct Check: Encodable {
        var check: String
        var status: Status
        var detail: String
        var depth: Int?
        var declaredTop1: Double?
        var measuredTop1: Double?
    }

    /// One learngene's verdict.
    struct Verdict: Encodable {
        var reference: String
        var digest: String?
        var status: Status
        var checks: [Check]
    }

    /// What `--json` prints.
    struct Report: Encodable {
        var schemaVersion = 1
        var tolerance: Double
        var status: Status
        var learngenes: [Verdict]
    }

    func run() throws {
        var verdicts: [Verdict] = []
        try StoreExit.run {
            let opened = try store.open()
            let references = try reference.map { [$0] } ?? opened.list().map(\.reference)
            for reference in references { verdicts.append(try verify(reference, in: opened)) }
        }
        let status = verdicts.map(\.status).max() ?? .ok
        if json {
            try printJSON(Report(tolerance: tolerance, status: status, learngenes: verdicts))
        } else {
            for verdict in verdicts {
                print("\(verdict.reference) \(verdict.digest ?? ""): \(verdict.status.rawValue)")
                for check in verdict.checks { print("  \(check.status.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) \(check.check): \(check.detail)") }
            }
            if verdicts.isEmpty { print("no learngenes to verify") }
        }
        switch status {
        case .ok, .skipped: return
        case .mismatch: throw ExitCode(1)
        case .cannotVerify: throw ExitCode(2)
        }
    }

    private func verify(_ reference: String, in store: LearngeneStore) throws -> Verdict {
        let stored: StoredLearngene
        do { stored = try store.resolve(reference) } catch let error as StoreError {
            if case .notFound = error { throw error }
            return Verdict(reference: reference, digest: nil, status: .mismatch,
                           checks: [Check(check: "manifest", status: .mismatch, detail: error.description)])
        }
        var checks = [blobCheck(stored, in: store), manifestCheck(stored), parameterCheck(stored)]
        if checks.allSatisfy({ $0.status == .ok }) {
            checks += stored.manifest.results.map { resultCheck($0, stored: stored) }
        }
        let status = checks.map(\.status).max() ?? .ok
        let detail = checks.filter { $0.status != .ok }.map { "\($0.check): \($0.detail)" }.joined(separator: "; ")
        store.recordVerification(stored.digest, ok: status <= .skipped, detail: "lgreg verify: " + (detail.isEmpty ? "all checks passed" : detail))
        return Verdict(reference: reference, digest: stored.digest.description, status: status, checks: checks)
    }

    /// Every blob the learngene's OCI manifest names, and the manifest itself, re-hashed.
    private func blobCheck(_ stored: StoredLearngene, in store: LearngeneStore) -> Check {
        let blobs = [(stored.digest, nil as Int?)] + ([stored.imageManifest.config] + stored.imageManifest.layers).map { ($0.digest, Optional($0.size)) }
        for (digest, size) in blobs {
            let url = store.layout.blob(digest)
            do {
                let actual = try Digest.ofFile(url)
                if actual.digest != digest { return Check(check: "blobs", status: .mismatch, detail: "\(url.path) hashes to \(actual.digest)") }
                if let size, actual.size != size { return Check(check: "blobs", status: .mismatch, detail: "\(url.path) is \(actual.size) bytes, the manifest says \(size)") }
            } catch {
                return Check(check: "blobs", status: .mismatch, detail: "\(url.path): \(error)")
            }
        }
        return Check(check: "blobs", status: .ok, detail: "\(blobs.count) blobs match their digests")
    }

    private func manifestCheck(_ stored: StoredLearngene) -> Check {
        do { try stored.manifest.validate(path: stored.digest.description) } catch {
            return Check(check: "manifest", status: .mismatch, detail: "\(error)")
        }
        return Check(check: "manifest", status: .ok, detail: "valid \(stored.manifest.kind.rawValue) learngene manifest, schema version \(stored.manifest.schemaVersion)")
    }

    /// The parameters actually stored in the tensors, against the manifest's budget and the architecture's.
    private func parameterCheck(_ stored: StoredLearngene) -> Check {
        do {
            let files = try [stored.shared.open()] + stored.layers.map { try $0.open() }
            let counted = files.reduce(0) { $0 + $1.tensors.reduce(0) { $0 + $1.elementCount } }
            let architecture = stored.manifest.architecture
            let expected = stored.layers.count * architecture.blockParameters + architecture.sharedParameters
            let declared = stored.manifest.parameters?.stored
            guard counted == expected, declared == counted else {
                return Check(check: "parameters", status: .mismatch,
                             detail: "tensors hold \(counted), the architecture implies \(expected), the manifest declares \(declared.map(String.init) ?? "nothing")")
            }
            return Check(check: "parameters", status: .ok, detail: "\(counted) stored, as declared")
        } catch {
            return Check(check: "parameters", status: .mismatch, detail: "\(error)")
        }
    }

    /// One declared result re-measured.
    private func resultCheck(_ declared: LearngeneManifest.DeclaredResult, stored: StoredLearngene) -> Check {
        var check = Check(check: "result", status: .ok, detail: "", depth: declared.depth, declaredTop1: 100 * declared.top1)
        let what = "depth \(declared.depth) \(declared.strategy)\(declared.order.map { " (\($0))" } ?? "") on \(declared.evalSet)"
        guard declared.tunedEpochs == 0 else {
            check.status = .skipped
            check.detail = "\(what): tuned for \(declared.tunedEpochs) epochs; the tuned weights are not part of the learngene"
            return check
        }
        let source = ManifestSource(stored)
        let strategy: Strategy
        if declared.strategy == LearngeneManifest.DeclaredResult.trainedNetwork {
            strategy = Strategy.trainedNetwork(of: source)
        } else {
            do {
                var arguments = ["--strategy", declared.strategy == "sws" ? "cyclic" : declared.strategy]
                if let order = declared.order { arguments += ["--order", order] }
                strategy = try StrategyOptions.parse(arguments).resolve()
            } catch {
                check.status = .cannotVerify
                check.detail = "\(what): strategy or order not understood (\(StrategyOptions.message(for: error)))"
                return check
            }
        }
        let dataSet: ImageDataSet
        do { dataSet = try DataSpec(parsing: declared.evalSet).load(directory: dataDirectory) } catch {
            check.status = .cannotVerify
            check.detail = "\(what): \(error)"
            return check
        }
        do {
            let net = try Materializer.plan(source, depth: declared.depth, strategy: strategy, head: .keep, seed: 0)
            let model = try LearngeneEvaluation.model(net, source: source)
            let result = try Evaluation.run(ViTRunner(model: model, maxBatch: batchSize), on: dataSet,
                                            progress: TerminalProgress.reporter("verify \(what)"))
            check.measuredTop1 = result.top1
            let difference = abs(result.top1 - 100 * declared.top1)
            check.status = difference <= tolerance + 1e-9 ? .ok : .mismatch
            check.detail = String(format: "%@: declared %.2f%%, measured %.2f%% (%d/%d)", what, 100 * declared.top1, result.top1,
                                  result.correct, result.images)
        } catch {
            check.status = .mismatch
            check.detail = "\(what): \(error)"
        }
        return check
    }
}
