import Foundation
import LgregArchive
import LgregCore
import LgregResolver
import LgregRuntime
import LgregStore

/// Is a stored learngene intact and does it do what it says? Every blob re-hashed, the manifest validated, the
/// parameters counted against the budget, and every declared untuned accuracy rebuilt and re-measured.
///
/// ```swift
/// let report = try Verifier(store: store, settings: .init()).verify(["aux-b"])
/// if report.status != .ok { … }
/// ```
public struct Verifier {
    /// How one check ended, from best to worst.
    public enum Status: String, Codable, Comparable, Sendable {
        case ok, skipped
        case cannotVerify = "cannot-verify"
        case mismatch

        private var rank: Int {
            switch self {
            case .ok, .skipped: return 0
            case .cannotVerify: return 1
            case .mismatch: return 2
            }
        }

        public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    /// One line of the report.
    public struct Check: Codable, Sendable {
        public var check: String
        public var status: Status
        public var detail: String
        public var depth: Int?
        /// Declared and measured top-1, as fractions in [0, 1] (the unit of manifests and every JSON output).
        public var declaredTop1: Double?
        public var measuredTop1: Double?
        /// In a `--shard` report: the shard that checks it (the others list it as skipped).
        public var shard: Int? = nil
    }

    /// One learngene's verdict.
    public struct Verdict: Codable, Sendable {
        public var reference: String
        public var digest: String?
        public var status: Status
        public var checks: [Check]
        /// In a `--shard` report, for an entry checked whole by one shard: that shard (the others list no checks).
        public var shard: Int? = nil
        /// Wall-clock seconds this run spent on it.
        public var seconds: Double? = nil
    }

    /// What `verify --json` prints (`Schemas/verify-report.schema.json`).
    public struct Report: Codable, Sendable {
        /// 2: accuracies and the tolerance are fractions (version 1 gave percent).
        public var schemaVersion = 2
        /// Largest accepted difference between declared and measured top-1, as a fraction (`--tolerance 0.1`
        /// percentage points is 0.001).
        public var tolerance: Double
        public var status: Status
        public var learngenes: [Verdict]
        /// How the declared results were evaluated and the layer applications per image that took, against
        /// evaluating each alone.
        public var evaluation: EvaluationWork
        /// In a `--shard` report: which shard of how many, and what the whole run holds (`VerificationShard.swift`).
        public var shard: ShardSummary? = nil
    }

    /// The evaluator used and the work it did per image, summed over every learngene and eval set.
    public struct EvaluationWork: Codable, Sendable {
        public var evaluator: String
        /// The kernels OpenBLAS ran (`BLASThreads.coreName`).
        public var blasKernels = BLASThreads.coreName
        public var networks = 0
        public var work = PrefixTreeEvaluation.Work()
        /// FLOPs, seconds and GFLOP/s of the evaluations against the sgemm peak measured in the same run (nil when
        /// nothing was evaluated).
        public var throughput: VerifyThroughput?
    }

    /// What the verifier needs besides the store.
    public struct Settings: Sendable {
        /// Largest accepted difference between declared and measured top-1, in percentage points.
        public var tolerance: Double
        /// Fashion-MNIST's folder, replacing the default.
        public var dataDirectory: String?
        public var evaluation: EvaluationSettings
        /// The depths whose results are re-measured (nil: all); results at other depths are listed as skipped.
        public var depths: Set<Int>?
        /// Check only this shard's part of the run (`VerificationShard.swift`); nil: everything.
        public var shard: Shard? = nil

        public init(
            tolerance: Double = 0.1, dataDirectory: String? = nil,
            evaluation: EvaluationSettings = EvaluationSettings(), depths: Set<Int>? = nil
        ) {
            self.tolerance = tolerance
            self.dataDirectory = dataDirectory
            self.evaluation = evaluation
            self.depths = depths
        }

        /// Whether a result at `depth` is re-measured, and else the reason it is skipped.
        func skipReason(depth: Int) -> String? {
            guard let depths, !depths.contains(depth) else { return nil }
            return "not among the depths asked for (\(depths.sorted().map(String.init).joined(separator: ",")))"
        }
    }

    public let store: LearngeneStore
    public let settings: Settings

    public init(store: LearngeneStore, settings: Settings) {
        self.store = store
        self.settings = settings
    }

    /// What one run has loaded and measured, shared by every entry it verifies.
    struct Run {
        var dataSets: [String: ImageDataSet] = [:]
        var work: EvaluationWork
        /// FLOPs and wall seconds of the evaluations so far (`VerifyThroughput`).
        var flops = 0
        var seconds = 0.0
        var cpuSeconds = 0.0
        /// Each learngene's declared results with their checks, so that its Des-Nets verified in the same run take
        /// the figures already measured instead of measuring them again.
        var results: [Digest: [(declared: LearngeneManifest.DeclaredResult, check: Check)]] = [:]
        /// With `settings.shard`: which shard owns each check.
        var owners: ShardOwners?
    }

    /// Verifies each reference (with `references` empty, every tagged entry: learngenes, then Des-Nets, then tuned
    /// Des-Nets), records each verdict in the store's index, and returns the report.
    /// - Throws: `ZooError.nothingToVerify` when asked for everything in a store that holds nothing;
    ///   `StoreError.notFound` for a reference that names nothing.
    public func verify(_ references: [String]) throws -> Report {
        let chosen = references.isEmpty ? try everything() : references
        guard !chosen.isEmpty else { throw ZooError.nothingToVerify }
        var run = Run(work: EvaluationWork(evaluator: settings.evaluation.evaluator.rawValue))
        run.owners = settings.shard.map { shardOwners(chosen, shards: $0.count) }
        let verdicts = try chosen.map { reference in
            let start = Date()
            var verdict = try verify(reference, run: &run)
            verdict.shard = run.owners?.wholeEntries[reference]?.owner
            verdict.seconds = Date().timeIntervalSince(start)
            return verdict
        }
        if run.flops > 0 {
            run.work.throughput = .measuringPeak(
                flops: run.flops, seconds: run.seconds, cpuSeconds: run.cpuSeconds, threads: BLASThreads.count)
        }
        var report = Report(
            tolerance: settings.tolerance / 100, status: verdicts.map(\.status).max() ?? .ok, learngenes: verdicts,
            evaluation: run.work)
        if let shard = settings.shard, let owners = run.owners {
            report.shard = summary(of: report, shard: shard, owners: owners)
        }
        return report
    }

    /// Every tag `verify --all` checks: learngenes first, so that their Des-Nets reuse what was measured.
    private func everything() throws -> [String] {
        let derived = try store.entries()
        return try store.list().map(\.reference)
            + derived.filter { $0.artifactType == StoredDesNet.artifactType }.map(\.reference)
            + derived.filter { $0.artifactType == TunedDesNet.artifactType }.map(\.reference)
    }

    private func verify(_ reference: String, run: inout Run) throws -> Verdict {
        if let elsewhere = run.owners?.elsewhere(reference, shard: settings.shard!) { return elsewhere }
        let stored: StoredLearngene
        do {
            switch try ResolvedEntry.resolve(reference, in: store) {
            case .learngene(let learngene): stored = learngene
            case .derived(let entry) where entry.image.artifactType == TunedDesNet.artifactType:
                return verifyTuned(entry, dataSets: &run.dataSets)
            case .derived(let entry): return verifyDerived(entry, run: &run)
            }
        } catch let error as StoreError {
            if case .notFound = error { throw error }
            return Verdict(
                reference: reference, digest: nil, status: .mismatch,
                checks: [Check(check: "manifest", status: .mismatch, detail: error.description)])
        }
        var checks = [blobCheck(stored), manifestCheck(stored), parameterCheck(stored)]
        if checks.allSatisfy({ $0.status == .ok }) {
            if let owners = run.owners {
                checks += shardResultChecks(stored, reference: reference, owners: owners, run: &run)
            } else {
                let results = resultChecks(stored.manifest.results, source: ManifestSource(stored), run: &run)
                run.results[stored.digest] = Array(zip(stored.manifest.results, results))
                checks += results
            }
        }
        if let owners = run.owners {
            checks = owners.markLearngeneChecks(checks, of: reference, shard: settings.shard!)
        }
        let status = checks.map(\.status).max() ?? .ok
        // A shard's verdict is partial: the index keeps whole verdicts only.
        if run.owners == nil { LastVerification.record(stored.digest, checks: checks, in: store) }
        return Verdict(reference: reference, digest: stored.digest.description, status: status, checks: checks)
    }

    /// A derived entry: its learngene present, its blobs intact, and for a Des-Net its recorded plan rebuilt and
    /// each result its learngene declares for that plan (depth, strategy, order, untuned) re-measured.
    private func verifyDerived(_ entry: DerivedEntry, run: inout Run) -> Verdict {
        var checks: [Check] = []
        if let lineage = entry.lineage {
            checks.append(
                Check(
                    check: "learngene", status: .ok,
                    detail:
                        "\(lineage.summary)\(lineage.orphaned ? "; orphaned: the learngene is kept but no longer tagged" : "")"
                ))
        } else {
            checks.append(
                Check(
                    check: "learngene", status: .mismatch,
                    detail:
                        "its learngene \(entry.image.annotations?[OCIAnnotation.baseDigest] ?? "(none recorded)") is no longer in the store"
                ))
        }
        checks.append(blobCheck(digest: entry.digest, image: entry.image))
        if checks.allSatisfy({ $0.status == .ok }), entry.image.artifactType == StoredDesNet.artifactType {
            do {
                let opened = try StoredDesNet.open(entry, in: store)
                let lineage = opened.net.lineage
                checks.append(
                    Check(
                        check: "config", status: .ok,
                        detail: "rebuilds from its learngene as recorded: depth \(opened.net.depth), layer map "
                            + lineage.layerMap.map { $0.map(String.init) ?? "r" }.joined(separator: ",")))
                let fresh =
                    opened.net.architecture.pooling == opened.learngene.manifest.architecture.pooling
                    && lineage.head == .keep
                let belongs = { (result: LearngeneManifest.DeclaredResult) in
                    fresh && result.tunedEpochs == 0
                        && result.network?.describes(lineage, depth: opened.net.depth) == true
                }
                if let measured = run.results[opened.learngene.digest] {
                    checks += measured.filter { belongs($0.declared) }.map(\.check)
                } else {
                    checks += resultChecks(
                        opened.learngene.manifest.results.filter(belongs), source: ManifestSource(opened.learngene),
                        run: &run)
                }
            } catch {
                checks.append(Check(check: "config", status: .mismatch, detail: "\(error)"))
            }
        }
        let status = checks.map(\.status).max() ?? .ok
        if run.owners == nil { LastVerification.record(entry.digest, checks: checks, in: store) }
        return Verdict(reference: entry.reference, digest: entry.digest.description, status: status, checks: checks)
    }

    /// Every blob the learngene's OCI manifest names, and the manifest itself, re-hashed.
    private func blobCheck(_ stored: StoredLearngene) -> Check {
        blobCheck(digest: stored.digest, image: stored.imageManifest)
    }

    /// Every blob an OCI manifest names, and the manifest itself, re-hashed.
    func blobCheck(digest: Digest, image: ImageManifest) -> Check {
        let blobs = [(digest, nil as Int?)] + ([image.config] + image.layers).map { ($0.digest, Optional($0.size)) }
        for (digest, size) in blobs {
            let url = store.layout.blob(digest)
            do {
                let actual = try Digest.ofFile(url)
                if actual.digest != digest {
                    return Check(check: "blobs", status: .mismatch, detail: "\(url.path) hashes to \(actual.digest)")
                }
                if let size, actual.size != size {
                    return Check(
                        check: "blobs", status: .mismatch,
                        detail: "\(url.path) is \(actual.size) bytes, the manifest says \(size)")
                }
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
        return Check(
            check: "manifest", status: .ok,
            detail:
                "valid \(stored.manifest.kind.rawValue) learngene manifest, schema version \(stored.manifest.schemaVersion)"
        )
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
                return Check(
                    check: "parameters", status: .mismatch,
                    detail:
                        "tensors hold \(counted), the architecture implies \(expected), the manifest declares \(declared.map(String.init) ?? "nothing")"
                )
            }
            return Check(check: "parameters", status: .ok, detail: "\(counted) stored, as declared")
        } catch {
            return Check(check: "parameters", status: .mismatch, detail: "\(error)")
        }
    }

    /// How a check names a declared result: `depth 12 random, seed 1 on fashion-mnist:test`.
    static func describe(_ declared: LearngeneManifest.DeclaredResult) -> String {
        "depth \(declared.depth) \(declared.strategy)\(declared.order.map { " (\($0))" } ?? "")\(declared.seed.map { ", seed \($0)" } ?? "") on \(declared.evalSet)"
    }

    /// Every declared result re-measured: each rebuilt, then all of one eval set evaluated together (through
    /// the prefix tree of their layer maps, unless `settings.evaluation` says one at a time).
    func resultChecks(_ results: [LearngeneManifest.DeclaredResult], source: ManifestSource, run: inout Run)
        -> [Check]
    {
        let models = DesNetModels(source: source)
        var checks: [Check] = []
        var pending: [String: [(check: Int, model: ViTModel)]] = [:]
        var evalSets: [String] = []
        for declared in results {
            var check = Check(
                check: "result", status: .ok, detail: "", depth: declared.depth, declaredTop1: declared.top1)
            check.detail = Self.describe(declared)
            defer { checks.append(check) }
            guard declared.tunedEpochs == 0 else {
                check.status = .skipped
                check.detail +=
                    ": tuned for \(Plural.count(declared.tunedEpochs, "epoch")); the tuned weights are not part of the learngene"
                continue
            }
            if let reason = settings.skipReason(depth: declared.depth) {
                check.status = .skipped
                check.detail += ": \(reason)"
                continue
            }
            do {
                if run.dataSets[declared.evalSet] == nil {
                    run.dataSets[declared.evalSet] = try DataSpec(parsing: declared.evalSet).load(
                        directory: settings.dataDirectory)
                }
            } catch {
                check.status = .cannotVerify
                check.detail += ": \(error)"
                continue
            }
            do {
                let strategy = try DeclaredStrategy(declared).strategy(for: source)
                let net = try Materializer.plan(
                    source, depth: declared.depth, strategy: strategy, head: .keep, seed: UInt64(declared.seed ?? 0))
                if pending[declared.evalSet] == nil { evalSets.append(declared.evalSet) }
                pending[declared.evalSet, default: []].append((checks.count, try models.model(for: net)))
            } catch let error as ZooError {
                check.status = .cannotVerify
                check.detail += ": \(error)"
            } catch {
                check.status = .mismatch
                check.detail += ": \(error)"
            }
        }
        for evalSet in evalSets {
            let batch = pending[evalSet]!
            let networks = batch.map(\.model)
            do {
                let start = DispatchTime.now().uptimeNanoseconds
                let cpuStart = SgemmPeak.processCPUSeconds()
                let rows = try DesNetEvaluation.evaluate(
                    networks, on: run.dataSets[evalSet]!, settings: settings.evaluation,
                    label: "verify \(Plural.count(networks.count, "result")) on \(evalSet)")
                run.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                run.cpuSeconds += SgemmPeak.processCPUSeconds() - cpuStart
                run.flops +=
                    (rows.first?.result.images ?? 0)
                    * EvaluationFLOPs.perImage(networks, shared: settings.evaluation.evaluator != .oneAtATime)
                let tree = PrefixTreeEvaluation.work(networks)
                run.work.networks += networks.count
                run.work.work.separateBlocks += tree.separateBlocks
                run.work.work.sharedBlocks +=
                    settings.evaluation.evaluator != .oneAtATime ? tree.sharedBlocks : tree.separateBlocks
                run.work.work.separateEmbeddings += tree.separateEmbeddings
                run.work.work.sharedEmbeddings +=
                    settings.evaluation.evaluator != .oneAtATime ? tree.sharedEmbeddings : tree.separateEmbeddings
                for ((index, _), row) in zip(batch, rows) {
                    let declared = checks[index].declaredTop1!
                    let measured = Top1(correct: row.result.correct, of: row.result.images)
                    checks[index].measuredTop1 = measured.fraction
                    checks[index].status =
                        measured.agrees(with: Top1(fraction: declared), withinPoints: settings.tolerance)
                        ? .ok : .mismatch
                    checks[index].detail +=
                        ": declared \(Top1(fraction: declared)), measured \(measured) (\(row.result.correct)/\(row.result.images))"
                }
            } catch {
                for (index, _) in batch {
                    checks[index].status = .mismatch
                    checks[index].detail += ": \(error)"
                }
            }
        }
        return checks
    }
}
