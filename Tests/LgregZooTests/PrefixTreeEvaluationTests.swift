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
        try RandomLearngene.write(name: "lg", version: "1", kind: kind, architecture: try ViTArchitecture.preset("fmnist-tiny"),
                                  schedule: try StageSchedule(schedule), seed: seed, toolVersion: "test", to: url)
        return ManifestSource(try LearngeneArchive.read(url))
    }

    func evaluateBothWays(_ models: [ViTModel], batchSize: Int, limit: Int) throws {
        let tree = try DesNetEvaluation.evaluate(models, on: test, settings: EvaluationSettings(batchSize: batchSize, limit: limit, evaluator: .prefixTree), label: "tree")
        let alone = try DesNetEvaluation.evaluate(models, on: test, settings: EvaluationSettings(batchSize: batchSize, limit: limit, evaluator: .oneAtATime), label: "alone")
        for (t, a) in zip(tree, alone) {
            #expect(t.result.images == limit && a.result.images == limit)
            #expect(t.result.correct == a.result.correct, "depth \(t.depth) map \(t.layerMap): \(t.result.correct) vs \(a.result.correct) correct")
            #expect(t.result.meanLoss == a.result.meanLoss, "depth \(t.depth) map \(t.layerMap): loss \(t.result.meanLoss) vs \(a.result.meanLoss)")
        }
    }

    @Test func cyclicRandomAndTheAuxNetMatchOneAtATimeToTheBit() throws {
        let sws = try learngene(.sws, schedule: [3, 3, 4, 3, 3], seed: 3)
        let models = DesNetModels(source: sws)
        var networks: [ViTModel] = []
        for depth in 6...15 {
            networks.append(try models.model(for: try Materializer.plan(sws, depth: depth, strategy: .cyclic(.named(.frontMidLast)))))
        }
        for depth in [7, 11] {
            networks.append(try models.model(for: try Materializer.plan(sws, depth: depth, strategy: .randomAssigned, seed: 0)))
        }
        networks.append(try models.model(for: try Materializer.plan(sws, depth: 16, strategy: .trainedNetwork(of: sws))))
        // A batch that does not divide the 200 images, so the last one is short.
        try evaluateBothWays(networks, batchSize: 48, limit: 200)

        // The ten published cyclic maps of M = 5 (method.md) hold 105 layer applications but 41 distinct prefixes,
        // counted by hand from the lists; every copy strategy shares one embedding.
        let work = PrefixTreeEvaluation.work(Array(networks.prefix(10)))
        #expect(work == PrefixTreeEvaluation.Work(separateBlocks: 105, sharedBlocks: 41, separateEmbeddings: 10, sharedEmbeddings: 1))
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

    @Test func memoryStaysWithinTheStatedBoundWhateverTheNumberOfModels() throws {
        let sws = try learngene(.sws, schedule: [3, 3, 4, 3, 3], seed: 5)
        let models = DesNetModels(source: sws)
        let arch = try ViTArchitecture.preset("fmnist-tiny")
        let deepest = [try models.model(for: try Materializer.plan(sws, depth: 15, strategy: .cyclic(.named(.frontMidLast))))]
        var many = deepest
        for seed in 0..<40 as Range<UInt64> {
            many.append(try models.model(for: try Materializer.plan(sws, depth: 6 + Int(seed % 10), strategy: .randomAssigned, seed: seed)))
        }
        // One inference activation set (depth 1) plus one saved stream [batch, tokens, width] per level.
        let inference = ViTActivations(architecture: arch, depth: 1, batchCapacity: 64, keepingEveryLayer: false).count
        let stated = inference + 15 * 64 * arch.tokenCount * arch.width
        #expect(PrefixTreeEvaluation.activationBound(deepest, batchSize: 64) == stated)
        #expect(PrefixTreeEvaluation.activationBound(many, batchSize: 64) == stated)
        // Less than three runners' activations, where evaluating the 41 networks alone would hold 41.
        #expect(stated < 3 * inference, "\(stated) floats against \(inference) per runner")
    }
}
