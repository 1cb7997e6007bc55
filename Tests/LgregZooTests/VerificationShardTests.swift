import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregResolver
import LgregStore
import LgregTestSupport
import LgregZoo
import SafeTensors
import Testing

/// `Verifier.partition` and sharded runs of `Verifier`: every unit in exactly one shard, whatever the order.
@Suite struct VerificationShardTests {
    /// The zoo's shape: 154 results at depths 6-15 (some tuned: weight 0) and five learngenes' own checks.
    static let zooLike: [Verifier.ShardUnit] =
        (0..<154).map { Verifier.ShardUnit(key: "result \($0)", weight: $0 % 7 == 6 ? 0 : 6 + $0 % 10) }
        + (0..<5).map { Verifier.ShardUnit(key: "learngene \($0)", weight: 0) }

    @Test func partitionCoversEveryUnitOnceWhateverTheOrder() {
        var generator = SplitMix64(seed: 28)
        for shards in 1...8 {
            let owners = Verifier.partition(Self.zooLike, shards: shards)
            #expect(Set(owners.keys) == Set(Self.zooLike.map(\.key)), "every unit has an owner")
            #expect(owners.values.allSatisfy { (1...shards).contains($0) })
            for _ in 0..<3 {
                #expect(Verifier.partition(Self.zooLike.shuffled(using: &generator), shards: shards) == owners)
            }
            // Balance: the blocks each shard runs per image differ by at most the heaviest unit (depth 15).
            var load = [Int](repeating: 0, count: shards)
            var units = [Int](repeating: 0, count: shards)
            for unit in Self.zooLike {
                load[owners[unit.key]! - 1] += unit.weight
                units[owners[unit.key]! - 1] += 1
            }
            #expect(load.max()! - load.min()! <= 15, "\(shards) shards: loads \(load)")
            #expect(units.max()! - units.min()! <= 4, "\(shards) shards: units \(units)")
        }
        #expect(Verifier.partition(Self.zooLike, shards: 1).values.allSatisfy { $0 == 1 })
        // An owner follows from the digest of the unit's key: the same units under other keys are dealt otherwise.
        let renamed = Self.zooLike.map { Verifier.ShardUnit(key: $0.key + "'", weight: $0.weight) }
        #expect(Verifier.partition(renamed, shards: 4) != Verifier.partition(Self.zooLike, shards: 4).mapKeys())
    }

    /// Results whose layer maps share prefixes (a family: depths 2-7 of one map, each a prefix of the next) cost
    /// less together: two families of six over two shards stay whole, one per shard.
    @Test func familiesSharingPrefixesStayTogether() {
        let families = ["a", "b"].flatMap { family in
            (2...7).map { depth in
                Verifier.ShardUnit(
                    key: "\(family)\(depth)", weight: depth + 1,
                    path: (0...depth).map { "\(family) " + String(repeating: "0,", count: $0) })
            }
        }
        let owners = Verifier.partition(families, shards: 2)
        #expect(Set((2...7).map { owners["a\($0)"]! }).count == 1 && Set((2...7).map { owners["b\($0)"]! }).count == 1)
        #expect(owners["a2"] != owners["b2"], "\(owners)")
    }

    @Test func shardParsing() {
        #expect(Verifier.Shard(parsing: "2/4") == Verifier.Shard(index: 2, count: 4))
        for bad in ["0/4", "5/4", "1/0", "-1/2", "a/b", "1", "1/2/3", "", "/"] {
            #expect(Verifier.Shard(parsing: bad) == nil, "\(bad)")
        }
    }

    /// A store of two random learngenes declaring results on a data set lgreg does not know (so nothing is
    /// evaluated: each is cannot-verify at once) and tuned ones, and a Des-Net of one of them.
    static func makeStore(_ folder: URL) throws -> (LearngeneStore, [String]) {
        let store = try LearngeneStore(root: folder.appendingPathComponent("store"), mode: .create)
        let architecture = ViTArchitecture(
            imageSize: 8, patchSize: 4, inChannels: 1, width: 8, heads: 2, classes: 3, classToken: false,
            pooling: .avgNormFirst)
        for name in ["alpha", "beta"] {
            let schedule = try StageSchedule([1, 1, 1])
            var template = LearngeneManifest(
                name: name, version: "1", description: "shards", license: "MIT", kind: .sws,
                architecture: architecture, schedule: schedule, dtype: .f32,
                provenance: .init(trained: false, toolVersion: "test", seed: 1))
            for depth in 3...8 {
                for strategy in ["imwlm", "cyclic"] {
                    template.results.append(
                        .init(depth: depth, strategy: strategy, tunedEpochs: 0, evalSet: "cifar-10", top1: 0.5))
                }
                template.results.append(
                    .init(depth: depth, strategy: "random", seed: depth, tunedEpochs: 0, evalSet: "cifar-10", top1: 0.5)
                )
                template.results.append(
                    .init(depth: depth, strategy: "imwlm", tunedEpochs: 2, evalSet: "cifar-10", top1: 0.5))
            }
            let model = try SafeTensorsFile(
                data: try RandomLearngene.model(
                    architecture: architecture, layers: template.expectedLayerCount, seed: 1),
                label: "random model")
            let archive = folder.appendingPathComponent("\(name).lgz")
            _ = try LearngeneArchive.pack(template: template, model: model, to: archive)
            _ = try store.publish(archive: archive)
        }
        let learngene = try store.resolve("alpha:1")
        let net = try Materializer.plan(ManifestSource(learngene), depth: 4, strategy: .cyclic(.named(.frontMidLast)))
        let (_, tag) = try StoredDesNet.record(net, from: learngene, in: store, tool: "test")
        return (store, ["alpha:1", "beta:1", tag])
    }

    /// Three shards of the run over the same references, listed in two orders: each check is made by exactly
    /// one shard, the same one in both orders, and together they are every check of the unsharded run.
    @Test func shardsOfARealStoreSplitItsChecksExactlyInAnyOrder() throws {
        let temporary = try TemporaryDirectory("lgreg-verify-shard")
        let (store, references) = try Self.makeStore(temporary.url)
        let whole = try Verifier(store: store, settings: .init()).verify(references)
        func owners(_ references: [String]) throws -> (owners: [String: Int], reports: [Verifier.Report]) {
            var owners: [String: Int] = [:]
            var reports: [Verifier.Report] = []
            for k in 1...3 {
                var settings = Verifier.Settings()
                settings.shard = Verifier.Shard(index: k, count: 3)
                let report = try Verifier(store: store, settings: settings).verify(references)
                for verdict in report.learngenes {
                    if let owner = verdict.shard {
                        if owner == k { #expect(owners.updateValue(k, forKey: verdict.reference) == nil) }
                        continue
                    }
                    for (j, check) in verdict.checks.enumerated() where check.shard == k {
                        #expect(owners.updateValue(k, forKey: "\(verdict.reference) \(j)") == nil, "owned twice")
                    }
                }
                reports.append(report)
            }
            return (owners, reports)
        }
        let forward = try owners(references)
        let backward = try owners(references.reversed())
        let expected = whole.learngenes.reduce(0) { $0 + (references.last == $1.reference ? 1 : $1.checks.count) }
        #expect(forward.owners.count == expected && expected == 2 * (3 + 24) + 1)
        #expect(forward.owners == backward.owners, "the order the entries are listed in changes no owner")
        #expect(Set(forward.owners.values) == [1, 2, 3])

        // Merged, they are the unsharded report (its seconds aside).
        var merged = try Verifier.merge(forward.reports, files: ["1", "2", "3"])
        var expectedReport = whole
        for i in merged.learngenes.indices {
            merged.learngenes[i].seconds = nil
            expectedReport.learngenes[i].seconds = nil
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(merged) == (try encoder.encode(expectedReport)))
        #expect(throws: Verifier.MergeError.self) {
            try Verifier.merge(Array(forward.reports.prefix(2)), files: ["1", "2"])
        }
    }

    @Test func junitEscapesWhatItQuotes() {
        #expect(JUnitReport.escape("a<b>&\"c'\u{1}\n") == "a&lt;b&gt;&amp;&quot;c&#39;\u{FFFD}&#10;")
    }
}

extension Dictionary where Key == String {
    /// The same dictionary with each key primed, as `renamed` primes them.
    fileprivate func mapKeys() -> [String: Value] { Dictionary(uniqueKeysWithValues: map { ($0.key + "'", $0.value) }) }
}
