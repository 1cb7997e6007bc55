import Foundation
import LgregArchitecture

/// Evaluates many models on one data set at once, computing what they share only once.
///
/// Models built on the same `ViTParameters` (a learngene's layers, loaded once) share their patch embedding and
/// differ only in their layer maps. Cyclic maps share prefixes: for depths 6…15 front-mid-last the ten maps hold
/// 105 layer applications but only 50 distinct (prefix, layer) nodes. Each batch of images is embedded once per
/// distinct parameter set, then pushed through the prefix tree of the layer maps depth first: a node's block runs
/// once, its output is saved only where the tree branches, and the head scores every model whose map ends there.
///
/// Every model sees exactly the kernel calls, shapes and order `ViTRunner` gives it alone, so the figures are
/// bit-identical to evaluating one model at a time on the same machine.
///
/// Memory: one inference activation set per distinct architecture (`ViTActivations(depth: 1)`), plus one saved
/// residual stream [batch, tokens, width] per tree level below a branch point — at most
/// `activationBound(models:batchSize:)` floats, whatever the number of models.
public enum PrefixTreeEvaluation {
    /// How much work the tree saves, per image.
    public struct Work: Codable, Equatable, Sendable {
        /// Block applications when each model runs alone (the sum of the depths).
        public var separateBlocks: Int
        /// Block applications through the tree (its nodes): the fewest that computes every model.
        public var sharedBlocks: Int
        /// Patch embeddings when each model runs alone, and through the tree.
        public var separateEmbeddings: Int
        public var sharedEmbeddings: Int

        public init(separateBlocks: Int = 0, sharedBlocks: Int = 0, separateEmbeddings: Int = 0, sharedEmbeddings: Int = 0) {
            self.separateBlocks = separateBlocks
            self.sharedBlocks = sharedBlocks
            self.separateEmbeddings = separateEmbeddings
            self.sharedEmbeddings = sharedEmbeddings
        }
    }

    /// One node: the block it runs, the models whose layer map ends here, and what follows.
    final class Node {
        let block: Int
        var ending: [Int] = []
        var children: [Node] = []

        init(block: Int) { self.block = block }

        func child(_ block: Int) -> Node {
            if let found = children.first(where: { $0.block == block }) { return found }
            let node = Node(block: block)
            children.append(node)
            return node
        }

        var nodeCount: Int { children.reduce(children.count) { $0 + $1.nodeCount } }
        var height: Int { children.map { 1 + $0.height }.max() ?? 0 }
    }

    /// The models sharing one parameter set, with the tree of their layer maps (the root runs the embedding).
    struct Group {
        let parameters: ViTParameters
        let root = Node(block: -1)
    }

    static func groups(_ models: [ViTModel]) -> [Group] {
        var groups: [Group] = []
        for (index, model) in models.enumerated() {
            let group: Group
            if let found = groups.first(where: { $0.parameters === model.parameters }) {
                group = found
            } else {
                group = Group(parameters: model.parameters)
                groups.append(group)
            }
            var node = group.root
            for block in model.layerMap { node = node.child(block) }
            node.ending.append(index)
        }
        return groups
    }

    /// The work the tree does for `models`, against running each alone.
    public static func work(_ models: [ViTModel]) -> Work {
        let trees = groups(models)
        return Work(separateBlocks: models.reduce(0) { $0 + $1.depth }, sharedBlocks: trees.reduce(0) { $0 + $1.root.nodeCount },
                    separateEmbeddings: models.count, sharedEmbeddings: trees.count)
    }

    /// The most activation floats `run` holds for `models` at `batchSize`: one inference activation set per
    /// distinct architecture, plus a saved stream per tree level below the root.
    public static func activationBound(_ models: [ViTModel], batchSize: Int) -> Int {
        var architectures: [ViTArchitecture] = []
        for model in models where !architectures.contains(model.architecture) { architectures.append(model.architecture) }
        let activations = architectures.reduce(0) {
            $0 + ViTActivations(architecture: $1, depth: 1, batchCapacity: batchSize, keepingEveryLayer: false).count
        }
        let stream = architectures.map { batchSize * $0.tokenCount * $0.width }.max() ?? 0
        let levels = models.map(\.depth).max() ?? 0
        return activations + levels * stream
    }

    /// Top-1 and mean cross-entropy of every model over the first `limit` images of `dataSet` (all when nil),
    /// in batches of `batchSize` in index order; `seconds` of each result is the run's wall time divided by the
    /// number of models (the tree does not split it further).
    /// - Parameter progress: called after each batch with (images done, images in total).
    /// - Throws: `RuntimeError.inputShape` / `.invalidField` when the data does not fit a model.
    public static func run(_ models: [ViTModel], on dataSet: ImageDataSet, batchSize: Int, limit: Int? = nil,
                           progress: ((Int, Int) -> Void)? = nil) throws -> [EvaluationResult] {
        precondition(batchSize >= 1, "batchSize must be at least 1")
        for model in models { try dataSet.check(against: model.architecture) }
        let trees = groups(models)
        let total = min(limit ?? dataSet.count, dataSet.count)
        let levels = models.map(\.depth).max() ?? 0

        var activations: [ViTArchitecture: ViTActivations] = [:]
        for model in models where activations[model.architecture] == nil {
            activations[model.architecture] = ViTActivations(architecture: model.architecture, depth: 1, batchCapacity: batchSize,
                                                             keepingEveryLayer: false)
        }
        let streamFloats = models.map { batchSize * $0.architecture.tokenCount * $0.architecture.width }.max() ?? 0
        let saved = (0..<levels).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(streamFloats, 1)) }
        let images = UnsafeMutablePointer<Float>.allocate(capacity: batchSize * dataSet.imageValues)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: batchSize)
        let losses = UnsafeMutablePointer<Float>.allocate(capacity: batchSize)
        let predictions = UnsafeMutablePointer<Int32>.allocate(capacity: batchSize)
        defer {
            for buffer in saved { buffer.deallocate() }
            images.deallocate(); labels.deallocate(); losses.deallocate(); predictions.deallocate()
        }

        var correct = [Int](repeating: 0, count: models.count)
        var lossSums = [Double](repeating: 0, count: models.count)
        var done = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for batch in BatchOrder(count: total, batchSize: batchSize) {
            let n = batch.count
            dataSet.fill(images, labels: labels, indices: batch)
            for tree in trees {
                let arch = tree.parameters.layout.architecture
                let acts = activations[arch]!
                let x = acts.residual[0], span = n * arch.tokenCount * arch.width
                /// The stream `x` holds `node`'s output: score the models ending here, then run each child.
                func visit(_ node: Node, level: Int) {
                    if !node.ending.isEmpty {
                        vitHeadForward(x, batch: n, architecture: arch, shared: tree.parameters, activations: acts)
                        crossEntropyForward(losses, acts.logits, labels: labels, batch: n, classes: arch.classes)
                        argmaxForward(predictions, acts.logits, batch: n, classes: arch.classes)
                        // Summed image by image, in the order `Evaluation.run` sums, so the mean is the same to the bit.
                        for index in node.ending {
                            for i in 0..<n {
                                lossSums[index] += Double(losses[i])
                                if predictions[i] == labels[i] { correct[index] += 1 }
                            }
                        }
                    }
                    for (i, child) in node.children.enumerated() {
                        let restore = i < node.children.count - 1
                        if restore { saved[level].update(from: x, count: span) }
                        vitBlockForward(x, x, weights: tree.parameters.block(child.block), saved: acts.layers[0], branch: acts.branch,
                                        batch: n, architecture: arch)
                        visit(child, level: level + 1)
                        if restore { x.update(from: saved[level], count: span) }
                    }
                }
                vitEmbeddingForward(images: images, batch: n, architecture: arch, shared: tree.parameters, activations: acts)
                visit(tree.root, level: 0)
            }
            done += n
            progress?(done, total)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(max(models.count, 1))
        return models.indices.map { index in
            EvaluationResult(images: done, correct: correct[index], meanLoss: done == 0 ? 0 : lossSums[index] / Double(done), seconds: seconds)
        }
    }
}
