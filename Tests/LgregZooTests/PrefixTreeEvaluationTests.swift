import Foundation
import LgregArchitecture
import LgregArchive
import LgregResolver
import LgregRuntime
import LgregTestSupport
import LgregZoo
import Testing

/// The prefix-tree evaluator against evaluating each Des-Net alone: the same figures to the bit on this machine
/// (the same kernel calls, shapes and order), with the work the published cyclic maps let it share.
@Suite(.serialized) final class PrefixTreeEvaluationTests {
    let folder: TemporaryDirectory
    let test: ImageDataSet

    init() throws {
        folder = try TemporaryDirectory("lgreg-prefix-tree")
        test = try FashionMNIST.load(.test)
    }

    /// A random learngene of `kind` (fmnist-tiny), read back from its archive.
    func learngene(_ kind: LearngeneManifest.Kind, schedule: [Int], seed: UInt64) throws -> ManifestSource {
        let url = folder.appending("\(kind.rawValue)-\(seed).lgz")
        try RandomLearngene.write(
            name: "lg", version: "1", kind: kind, architecture: try ViTArchitecture.preset("fmnist-tiny"),
            schedule: try StageSchedule(schedule), seed: seed, toolVersion: "test", to: url)
        return ManifestSource(try LearngeneArchive.read(url))
    }

    /// The tree on OpenBLAS's threads against each model alone on the same threads (`verify`'s default, batches
    /// on threads, is compared with the models alone in `batchesOnSeparateThreadsMatchOneAtATimeToTheBit`).
    func evaluateBothWays(_ models: [ViTModel], batchSize: Int, limit: Int) throws {
        let tree = try DesNetEvaluation.evaluate(
            models, on: test,
            settings: EvaluationSettings(
                batchSize: batchSize, limit: limit, evaluator: .prefixTree,
                threading: .insideGEMM), label: "tree")
        let alone = try DesNetEvaluation.evaluate(
            models, on: test, settings: EvaluationSettings(batchSize: batchSize, limit: limit, evaluator: .oneAtATime),
            label: "alone")
        for (t, a) in zip(tree, alone) {
            #expect(t.result.images == limit && a.result.images == limit)
            #expect(
                t.result.correct == a.result.correct,
                "depth \(t.depth) map \(t.layerMap): \(t.result.correct) vs \(a.result.correct) correct")
            #expect(
                t.result.meanLoss == a.result.meanLoss,
                "depth \(t.depth) map \(t.layerMap): loss \(t.result.meanLoss) vs \(a.result.meanLoss)")
        }
    }

    @Test func cyclicRandomAndTheAuxNetMatchOneAtATimeToTheBit() throws {
        let sws = try learngene(.sws, schedule: [3, 3, 4, 3, 3], seed: 3)
        let models = DesNetModels(source: sws)
        var networks: [ViTModel] = []
        for depth in 6...15 {
            networks.append(
                try models.model(
                    for: try Materializer.plan(sws, depth: depth, strategy: .cyclic(.named(.frontMidLast)))))
        }
        for depth in [7, 11] {
            networks.append(
                try models.model(for: try Materializer.plan(sws, depth: depth, strategy: .randomAssigned, seed: 0)))
        }
        networks.append(
            try models.model(for: try Materializer.plan(sws, depth: 16, strategy: .trainedNetwork(of: sws))))
        // A batch that does not divide the 200 images, so the last one is short.
        try evaluateBothWays(networks, batchSize: 48, limit: 200)

        // The ten published cyclic maps of M = 5 (method.md) hold 105 layer applications but 41 distinct prefixes,
        // counted by hand from the lists; every copy strategy shares one embedding.
        let work = PrefixTreeEvaluation.work(Array(networks.prefix(10)))
        #expect(
            work
                == PrefixTreeEvaluation.Work(
                    separateBlocks: 105, sharedBlocks: 41, separateEmbeddings: 10, sharedEmbeddings: 1))
    }

    @Test func baselinesWithParametersOfTheirOwnMatchToo() throws {
        let plain = try learngene(.plain, schedule: [1, 1, 1, 1, 1], seed: 4)
        let models = DesNetModels(source: plain)
        let networks = try [
            models.model(for: try Materializer.plan(plain, depth: 6, strategy: .simpleLG(.named(.frontMidLast)))),
            models.model(for: try Materializer.plan(plain, depth: 4, strategy: .imwlm)),
            models.model(for: try Materializer.plan(plain, depth: 6, strategy: .vanillaLG(topBlocks: 3), seed: 0)),
            models.model(for: try Materializer.plan(plain, depth: 4, strategy: .scratch, seed: 0)),
        ]
        try evaluateBothWays(networks, batchSize: 64, limit: 128)
        // Simple-LG and IMwLM run the stored blocks and share an embedding; Vanilla-LG and scratch hold fresh
        // blocks and embeddings of their own.
        let work = PrefixTreeEvaluation.work(networks)
        #expect(work.sharedEmbeddings == 3 && work.separateEmbeddings == 4)
        // Simple-LG's 0,0,1,2,3,4 and IMwLM's 0,1,2,3 share only their first block: 6 + 3 + 6 + 4 nodes.
        #expect(work.separateBlocks == 20 && work.sharedBlocks == 19)
    }

    /// Each network alone, one batch at a time, with OpenBLAS at `blasThreads` threads (put back after).
    func alone(_ networks: [ViTModel], blasThreads: Int, batchSize: Int, limit: Int) throws -> [EvaluationResult] {
        let before = BLASThreads.count
        BLASThreads.set(blasThreads)
        defer { BLASThreads.set(before) }
        return try networks.map {
            try Evaluation.run(ViTRunner(model: $0, maxBatch: batchSize), on: test, limit: limit)
        }
    }

    @Test func batchesOnSeparateThreadsMatchOneAtATimeToTheBit() throws {
        let sws = try learngene(.sws, schedule: [3, 3, 4, 3, 3], seed: 6)
        let models = DesNetModels(source: sws)
        let networks = try (6...9).map {
            try models.model(for: try Materializer.plan(sws, depth: $0, strategy: .cyclic(.named(.frontMidLast))))
        }
        // Batches on threads run every GEMM on one OpenBLAS thread, whatever the thread count; OpenBLAS's own
        // threading is compared with each network alone on the same OpenBLAS threads (its threads may change a
        // GEMM's last bits, so the two are not compared with each other).
        let oneThread = try alone(networks, blasThreads: 1, batchSize: 40, limit: 300)
        let twoThreads = try alone(networks, blasThreads: 2, batchSize: 40, limit: 300)
        let blasThreads = BLASThreads.count
        // 300 images in batches of 40 make 8 batches, the last short: with 3 threads, rounds of 3, 3 and 2.
        let ways: [(threads: Int, threading: PrefixTreeEvaluation.Threading, alone: [EvaluationResult])] =
            [
                (3, .batches, oneThread), (2, .batches, oneThread), (1, .batches, oneThread),
                (2, .insideGEMM, twoThreads),
            ]
        for way in ways {
            BLASThreads.set(way.threading == .insideGEMM ? way.threads : blasThreads)
            let tree = try PrefixTreeEvaluation.run(
                networks, on: test, batchSize: 40, limit: 300, threads: way.threads, threading: way.threading)
            #expect(
                BLASThreads.count == (way.threading == .insideGEMM ? way.threads : blasThreads),
                "\(way.threads) \(way.threading): OpenBLAS not put back")
            for (depth, (t, a)) in zip(6..., zip(tree, way.alone)) {
                #expect(
                    t.images == 300 && t.correct == a.correct,
                    "\(way.threads) \(way.threading) depth \(depth): \(t.correct) vs \(a.correct) correct")
                #expect(
                    t.meanLoss == a.meanLoss,
                    "\(way.threads) \(way.threading) depth \(depth): loss \(t.meanLoss) vs \(a.meanLoss)")
            }
        }
        BLASThreads.set(blasThreads)
    }

    @Test func memoryStaysWithinTheStatedBoundWhateverTheNumberOfModels() throws {
        let sws = try learngene(.sws, schedule: [3, 3, 4, 3, 3], seed: 5)
        let models = DesNetModels(source: sws)
        let arch = try ViTArchitecture.preset("fmnist-tiny")
        let deepest = [
            try models.model(for: try Materializer.plan(sws, depth: 15, strategy: .cyclic(.named(.frontMidLast))))
        ]
        var many = deepest
        for seed in 0..<40 as Range<UInt64> {
            many.append(
                try models.model(
                    for: try Materializer.plan(sws, depth: 6 + Int(seed % 10), strategy: .randomAssigned, seed: seed)))
        }
        // One inference activation set (depth 1) plus one saved stream [batch, tokens, width] per level.
        let inference = ViTActivations(architecture: arch, depth: 1, batchCapacity: 64, keepingEveryLayer: false).count
        let stated = inference + 15 * 64 * arch.tokenCount * arch.width
        #expect(PrefixTreeEvaluation.activationBound(deepest, batchSize: 64) == stated)
        #expect(PrefixTreeEvaluation.activationBound(many, batchSize: 64) == stated)
        // Each batch in flight on its own thread holds a set of its own.
        #expect(PrefixTreeEvaluation.activationBound(many, batchSize: 64, workers: 2) == 2 * stated)
        // Less than three runners' activations, where evaluating the 41 networks alone would hold 41.
        #expect(stated < 3 * inference, "\(stated) floats against \(inference) per runner")
    }
}
