import Foundation
import LgregArchive
import LgregCore
import LgregResolver
import LgregStore

/// `verify --all --shard K/N`: the run's checks split into N parts that CI runs side by side.
///
/// The unit is a check, not a learngene (a zoo holds a few learngenes and many declared results):
/// - each declared result is one unit, keyed by its learngene's manifest digest and its identity (depth, strategy,
///   order, seed, eval set, tuned epochs, and its occurrence among identical declarations);
/// - each learngene's own checks (blobs, manifest, parameters) are one unit, keyed by its digest;
/// - a Des-Net, a tuned Des-Net, or a reference that does not resolve to a learngene is one unit, checked whole.
///
/// The partition is a function of the set of units only, never of the order the store lists them in. A result
/// that is re-measured costs the blocks it runs per image, and a shard evaluates its results of one learngene and
/// eval set through one prefix tree (`PrefixTreeEvaluation`), so results whose layer maps share a prefix cost less
/// together: each such unit carries its path through that tree (the embedding, then each prefix of its layer map).
/// They are dealt heaviest first, in the order of the SHA-256 of their keys among equals, each to the shard whose
/// load (tree nodes) would be least after taking it (ties: fewer units, then the lower shard), which keeps
/// families of results together while the loads stay within one result's depth of each other. The units that cost
/// nothing to speak of (skipped results, learngene checks, whole entries) are then dealt, in hash order, each to
/// the shard with the fewest units. So the N shards together hold every unit exactly once, and adding a result to
/// the store may move others (every shard of one run reads the same store: a merge refuses shards of different runs).
///
/// Every shard runs each learngene's blob, manifest and parameter checks, because a result measured from a damaged
/// blob means nothing, but only the shard that owns them reports them; where they fail, no shard measures its
/// results (as a whole run lists none). A shard lists the checks it does not own as skipped, marked with their shard,
/// so that every shard's report has the same skeleton, which `verify --merge` fills in from the owners.
extension Verifier {
    /// Which part of the run this is: `--shard K/N`, 1 ≤ K ≤ N.
    public struct Shard: Codable, Equatable, Sendable, CustomStringConvertible {
        public var index: Int
        public var count: Int

        /// Shard `index` of `count`; nil unless 1 ≤ index ≤ count.
        public init?(index: Int, count: Int) {
            guard count >= 1, (1...count).contains(index) else { return nil }
            self.index = index
            self.count = count
        }

        /// Parses `K/N` (nil unless two integers with 1 ≤ K ≤ N).
        public init?(parsing text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { return nil }
            self.init(index: index, count: count)
        }

        public var description: String { "\(index)/\(count)" }
    }

    /// What a shard's report says about the whole run, so that a merge can tell a complete set of shards.
    public struct ShardSummary: Codable, Equatable, Sendable {
        /// This shard, 1-based.
        public var index: Int
        /// How many shards the run has.
        public var count: Int
        /// The units of the whole run: checks of learngenes, plus entries checked whole.
        public var units: Int
        /// The units this shard reports.
        public var owned: Int
        /// SHA-256 of what every shard of one run agrees on: the settings (tolerance, depths, evaluator, shard
        /// count) and each entry with its digest and each check's kind, depth, declared top-1 and owner.
        public var run: String
        /// `--depths`, when given.
        public var depths: [Int]?
    }

    /// One thing a shard owns: a key (unique in the run), its weight (blocks per image it runs alone; 0: next to
    /// nothing) and, for a result, the nodes of the prefix tree it runs (shared with the shard's other results).
    public struct ShardUnit: Equatable, Sendable {
        public var key: String
        public var weight: Int
        /// Node identities: the learngene and eval set's embedding, then each prefix of the layer map; empty when
        /// unknown (then the unit costs its weight wherever it goes).
        public var path: [String]

        public init(key: String, weight: Int, path: [String] = []) {
            self.key = key
            self.weight = weight
            self.path = path
        }
    }

    /// Deals `units` to `shards` shards (see the type's comment): the owner, 1-based, of each key.
    public static func partition(_ units: [ShardUnit], shards: Int) -> [String: Int] {
        let hashed = units.map { (unit: $0, hash: Digest.of(Data($0.key.utf8)).hex) }
        let ranked = hashed.sorted {
            ($0.unit.weight, $1.hash, $1.unit.key) > ($1.unit.weight, $0.hash, $0.unit.key)
        }
        var load = [Int](repeating: 0, count: shards)
        var count = [Int](repeating: 0, count: shards)
        var nodes = [Set<String>](repeating: [], count: shards)
        var owners: [String: Int] = [:]
        for (unit, _) in ranked {
            // What the unit adds to a shard: the nodes of its path that shard does not run yet.
            let cost: [Int] = (0..<shards).map { shard in
                unit.path.isEmpty ? unit.weight : unit.path.filter { !nodes[shard].contains($0) }.count
            }
            // Measured: the least load after taking it; the rest: the fewest units.
            let rank: (Int) -> (Int, Int, Int) = { shard in
                unit.weight > 0 ? (load[shard] + cost[shard], count[shard], shard) : (count[shard], shard, 0)
            }
            let target = (0..<shards).min { rank($0) < rank($1) }!
            load[target] += cost[target]
            count[target] += 1
            nodes[target].formUnion(unit.path)
            owners[unit.key] = target + 1
        }
        return owners
    }

    /// The keys of a learngene's units under `reference` (one learngene may have several tags, each verified):
    /// its own checks, then each declared result.
    static func unitKeys(_ stored: StoredLearngene, reference: String) -> (learngene: String, results: [String]) {
        var seen: [String: Int] = [:]
        let results = stored.manifest.results.map { result in
            let identity =
                "depth=\(result.depth) strategy=\(result.strategy) order=\(result.order ?? "") seed=\(result.seed.map(String.init) ?? "") evalSet=\(result.evalSet) tunedEpochs=\(result.tunedEpochs)"
            seen[identity, default: 0] += 1
            return "result \(stored.digest) \(reference) \(identity) #\(seen[identity]!)"
        }
        return ("learngene \(stored.digest) \(reference)", results)
    }

    /// A re-measured result's nodes in its shard's prefix tree: the embedding of its learngene on its eval set,
    /// then each prefix of its layer map (a layer made anew, `nil` in the map, is its own). Empty when it does not
    /// plan (it costs its depth).
    static func treePath(_ result: LearngeneManifest.DeclaredResult, of stored: StoredLearngene, source: ManifestSource)
        -> [String]
    {
        guard let strategy = try? DeclaredStrategy(result).strategy(for: source),
            let net = try? Materializer.plan(
                source, depth: result.depth, strategy: strategy, head: .keep,
                seed: UInt64(exactly: result.seed ?? 0) ?? 0)
        else { return [] }
        let root = "\(stored.digest) \(result.evalSet)"
        var path = [root]
        var prefix = root
        for (position, layer) in net.lineage.layerMap.enumerated() {
            prefix +=
                layer.map { " \($0)" } ?? " new(\(result.strategy) \(result.seed ?? 0) \(result.depth) \(position))"
            path.append(prefix)
        }
        return path
    }

    /// Who owns what in a run over `references`.
    func shardOwners(_ references: [String], shards: Int) -> ShardOwners {
        var units: [ShardUnit] = []
        var learngenes: [String: (learngene: String, results: [String])] = [:]
        var entries: [String: String] = [:]
        for reference in references {
            let digest = try? store.resolveDigest(reference)
            if let digest, (try? store.imageManifest(digest))?.artifactType == OCIMediaType.learngene,
                let stored = try? store.learngene(at: digest, reference: reference)
            {
                let keys = Self.unitKeys(stored, reference: reference)
                let source = ManifestSource(stored)
                units.append(ShardUnit(key: keys.learngene, weight: 0))
                for (result, key) in zip(stored.manifest.results, keys.results) {
                    let measured = result.tunedEpochs == 0 && settings.skipReason(depth: result.depth) == nil
                    units.append(
                        ShardUnit(
                            key: key, weight: measured ? result.depth + 1 : 0,
                            path: measured ? Self.treePath(result, of: stored, source: source) : []))
                }
                learngenes[reference] = keys
            } else {
                let key = "entry \(digest?.description ?? "-") \(reference)"
                units.append(ShardUnit(key: key, weight: 0))
                entries[reference] = key
            }
        }
        let owners = Self.partition(units, shards: shards)
        return ShardOwners(
            learngenes: learngenes.mapValues { (owners[$0.learngene]!, $0.results.map { owners[$0]! }) },
            wholeEntries: entries.mapValues { (owners[$0]!, $0) })
    }

    /// Re-measures the declared results of `stored` this shard owns; lists the others as skipped, with their owner.
    func shardResultChecks(_ stored: StoredLearngene, reference: String, owners: ShardOwners, run: inout Run)
        -> [Check]
    {
        let shard = settings.shard!
        let declared = stored.manifest.results
        let owner = owners.learngenes[reference]?.results ?? []
        let mine = declared.indices.filter { owner.indices.contains($0) && owner[$0] == shard.index }
        var measured = resultChecks(mine.map { declared[$0] }, source: ManifestSource(stored), run: &run)
            .makeIterator()
        return declared.indices.map { index in
            let by = owner.indices.contains(index) ? owner[index] : shard.index
            guard by != shard.index else {
                var check = measured.next()!
                check.shard = by
                return check
            }
            return Check(
                check: "result", status: .skipped,
                detail: "\(Self.describe(declared[index])): checked by shard \(by)/\(shard.count)",
                depth: declared[index].depth, declaredTop1: declared[index].top1, shard: by)
        }
    }

    /// What every shard's report says about the whole run.
    func summary(of report: Report, shard: Shard, owners: ShardOwners) -> ShardSummary {
        var skeleton = [
            "tolerance \(report.tolerance.bitPattern)", "evaluator \(report.evaluation.evaluator)",
            "shards \(shard.count)",
            "depths \(settings.depths.map { $0.sorted().map(String.init).joined(separator: ",") } ?? "all")",
        ]
        var units = 0
        var owned = 0
        for verdict in report.learngenes {
            if let whole = owners.wholeEntries[verdict.reference] {
                skeleton.append("whole \(whole.key) \(whole.owner)")
                units += 1
                owned += whole.owner == shard.index ? 1 : 0
                continue
            }
            skeleton.append("learngene \(verdict.reference) \(verdict.digest ?? "-")")
            for check in verdict.checks {
                skeleton.append(
                    "check \(check.check) \(check.depth.map(String.init) ?? "-") \(check.declaredTop1.map { String($0.bitPattern) } ?? "-") \(check.shard.map(String.init) ?? "-")"
                )
                units += 1
                owned += check.shard == shard.index ? 1 : 0
            }
        }
        return ShardSummary(
            index: shard.index, count: shard.count, units: units, owned: owned,
            run: Digest.of(Data(skeleton.joined(separator: "\n").utf8)).description,
            depths: settings.depths.map { $0.sorted() })
    }
}

/// Who owns what in a sharded run: each learngene's own checks and results, and each entry checked whole.
struct ShardOwners {
    /// By reference: the owner of the learngene's own checks, and the owner of each declared result.
    var learngenes: [String: (checks: Int, results: [Int])]
    /// By reference: the owner of an entry checked whole, and its unit key (its digest and reference).
    var wholeEntries: [String: (owner: Int, key: String)]

    /// The verdict a shard lists for an entry another shard checks whole; nil when this shard checks it.
    func elsewhere(_ reference: String, shard: Verifier.Shard) -> Verifier.Verdict? {
        guard let owner = wholeEntries[reference]?.owner, owner != shard.index else { return nil }
        return Verifier.Verdict(reference: reference, digest: nil, status: .skipped, checks: [])
    }

    /// A learngene's blob, manifest and parameter checks marked with their owner; replaced by a skipped line where
    /// another shard owns them.
    func markLearngeneChecks(_ checks: [Verifier.Check], of reference: String, shard: Verifier.Shard)
        -> [Verifier.Check]
    {
        let owner = learngenes[reference]?.checks ?? shard.index
        return checks.map { check in
            guard check.check != "result" else { return check }
            var marked = check
            marked.shard = owner
            if owner != shard.index {
                marked.status = .skipped
                marked.detail = "checked by shard \(owner)/\(shard.count)"
            }
            return marked
        }
    }
}
