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
/// Threads: `threads` batches at once, one per thread, each with OpenBLAS at one thread (see `run`).
///
/// Memory: per batch in flight, one inference activation set per distinct architecture
/// (`ViTActivations(depth: 1)`), plus one saved residual stream [batch, tokens, width] per tree level below a
/// branch point — at most `activationBound(_:batchSize:workers:)` floats, whatever the number of models.
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

        public init(
            separateBlocks: Int = 0, sharedBlocks: Int = 0, separateEmbeddings: Int = 0, sharedEmbeddings: Int = 0
        ) {
            self.separateBlocks = separateBlocks
            self.sharedBlocks = sharedBlocks
            self.separateEmbeddings = separateEmbeddings
            self.sharedEmbeddings = sharedEmbeddings
        }
    }

    /// One node: the block it runs, the models whose layer map ends here, and what follows.
    final class Node {
        let block: Int
        /// The block's weights (nil at the root, which runs the embedding).
        let weights: BlockParameters?
        var ending: [Int] = []
        var children: [Node] = []

        init(block: Int, weights: BlockParameters?) {
            self.block = block
            self.weights = weights
        }

        func child(_ block: Int, of parameters: ViTParameters) -> Node {
            if let found = children.first(where: { $0.block == block }) { return found }
            let node = Node(block: block, weights: parameters.block(block))
            children.append(node)
            return node
        }

        var nodeCount: Int { children.reduce(children.count) { $0 + $1.nodeCount } }
        var height: Int { children.map { 1 + $0.height }.max() ?? 0 }
    }

    /// The models sharing one parameter set, with the tree of their layer maps (the root runs the embedding).
    struct Group {
        let parameters: ViTParameters
        let root = Node(block: -1, weights: nil)
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
            for block in model.layerMap { node = node.child(block, of: model.parameters) }
            node.ending.append(index)
        }
        return groups
    }

    /// The work the tree does for `models`, against running each alone.
    public static func work(_ models: [ViTModel]) -> Work {
        let trees = groups(models)
        return Work(
            separateBlocks: models.reduce(0) { $0 + $1.depth },
            sharedBlocks: trees.reduce(0) { $0 + $1.root.nodeCount },
            separateEmbeddings: models.count, sharedEmbeddings: trees.count)
    }

    /// The most activation floats `run` holds for `models` at `batchSize` with `workers` batches in flight: per
    /// worker, one inference activation set per distinct architecture plus a saved stream per tree level below
    /// the root.
    public static func activationBound(
        _ models: [ViTModel], batchSize: Int, workers: Int = 1, blocks: BlockKernels = .plain
    ) -> Int {
        var architectures: [ViTArchitecture] = []
        for model in models where !architectures.contains(model.architecture) {
            architectures.append(model.architecture)
        }
        let activations = architectures.reduce(0) {
            $0 + ViTActivations(architecture: $1, depth: 1, batchCapacity: batchSize, keepingEveryLayer: false).count
        }
        let stream = architectures.map { batchSize * $0.tokenCount * $0.width }.max() ?? 0
        let levels = models.map(\.depth).max() ?? 0
        let scratch = blocks == .batched ? architectures.reduce(0) { $0 + BatchedBlockScratch.floats($1) } : 0
        return max(workers, 1) * (activations + levels * stream + scratch)
    }

    /// Top-1 and mean cross-entropy of every model over the first `limit` images of `dataSet` (all when nil),
    /// in batches of `batchSize` in index order; `seconds` of each result is the run's wall time divided by the
    /// number of models (the tree does not split it further).
    ///
    /// - Parameters:
    ///   - threads: the threads to use, by default OpenBLAS's count. `.batches` runs `threads` batches at once,
    ///     each on its own thread, with OpenBLAS at one thread (restored after); `.insideGEMM` runs one batch at
    ///     a time on OpenBLAS's threads. Each image's loss is summed in index order either way, so the figures
    ///     equal one model at a time to the bit with the same OpenBLAS threads per GEMM: one for `.batches`
    ///     (whatever `threads` is, so they are the same on 2 cores and 16), OpenBLAS's count for `.insideGEMM`.
    ///     (OpenBLAS's threads can change a GEMM's last bits: the tests saw it at 2 threads.)
    ///   - blocks: the block kernels: `.plain` (`vitBlockForward`, the same calls as each model alone, so the same
    ///     figures to the bit) or `.batched` (`batchedBlockForward`: faster, equal to float rounding).
    ///   - progress: called after each batch with (images done, images in total).
    /// - Throws: `RuntimeError.inputShape` / `.invalidField` when the data does not fit a model.
    public static func run(
        _ models: [ViTModel], on dataSet: ImageDataSet, batchSize: Int, limit: Int? = nil,
        threads: Int = BLASThreads.count, threading: Threading = .batches, blocks: BlockKernels = .plain,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> [EvaluationResult] {
        precondition(batchSize >= 1, "batchSize must be at least 1")
        for model in models { try dataSet.check(against: model.architecture) }
        let trees = groups(models)
        let total = min(limit ?? dataSet.count, dataSet.count)
        let batches = Array(BatchOrder(count: total, batchSize: batchSize))
        let workers = threading == .batches ? max(1, min(threads, batches.count)) : 1
        let lanes = (0..<workers).map { _ in
            Lane(models, trees: trees, imageValues: dataSet.imageValues, batchSize: batchSize, blocks: blocks)
        }
        let blasThreads = BLASThreads.count
        if threading == .batches { BLASThreads.set(1) }
        defer { if threading == .batches { BLASThreads.set(blasThreads) } }

        var correct = [Int](repeating: 0, count: models.count)
        var lossSums = [Double](repeating: 0, count: models.count)
        var done = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for round in stride(from: 0, to: batches.count, by: workers) {
            let inFlight = min(workers, batches.count - round)
            if inFlight == 1 {
                lanes[0].evaluate(batches[round], of: dataSet)
            } else {
                DispatchQueue.concurrentPerform(iterations: inFlight) {
                    lanes[$0].evaluate(batches[round + $0], of: dataSet)
                }
            }
            // Summed image by image in index order, as `Evaluation.run` sums, so each mean is the same to the bit.
            for (lane, batch) in zip(lanes, batches[round..<(round + inFlight)]) {
                for index in models.indices {
                    correct[index] += lane.correct[index]
                    for i in 0..<batch.count { lossSums[index] += Double(lane.losses[index * batchSize + i]) }
                }
                done += batch.count
                progress?(done, total)
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(max(models.count, 1))
        return models.indices.map { index in
            EvaluationResult(
                images: done, correct: correct[index], meanLoss: done == 0 ? 0 : lossSums[index] / Double(done),
                seconds: seconds)
        }
    }

    /// Each model's logits [indices.count · classes] on the images `indices` of `dataSet`, pushed through the
    /// prefix tree as one batch with `blocks` (one thread): what `run` scores, for comparing the tree's kernels
    /// with each model's own forward pass.
    /// - Throws: `RuntimeError.inputShape` / `.invalidField` when the data does not fit a model.
    public static func logits(
        _ models: [ViTModel], on dataSet: ImageDataSet, indices: ArraySlice<Int>, blocks: BlockKernels
    ) throws -> [[Float]] {
        for model in models { try dataSet.check(against: model.architecture) }
        let lane = Lane(
            models, trees: groups(models), imageValues: dataSet.imageValues, batchSize: max(indices.count, 1),
            blocks: blocks)
        var logits = models.map { _ in [Float]() }
        lane.logitSink = { index, pointer, count in
            logits[index] = Array(UnsafeBufferPointer(start: pointer, count: count))
        }
        lane.evaluate(indices, of: dataSet)
        return logits
    }

    /// Where the threads go.
    public enum Threading: String, Sendable {
        /// Independent batches on separate threads, OpenBLAS at one thread in each (and with one thread too).
        case batches
        /// One batch at a time, OpenBLAS's threads inside each GEMM.
        case insideGEMM = "gemm"
    }

    /// The kernels that run a block.
    public enum BlockKernels: String, Sendable {
        /// `vitBlockForward` on the whole batch: each model's figures equal its own forward pass's to the bit.
        case plain
        /// `batchedBlockForward`: a few images at a time in the L2 cache, attention by hand; equal to float rounding.
        case batched
    }

    /// What one thread needs to push a batch through every tree: its own activations, saved streams and
    /// batch, and each model's per-image losses and correct count for the batch it last evaluated.
    final class Lane: @unchecked Sendable {
        let trees: [Group]
        let batchSize: Int
        let activations: [ViTArchitecture: ViTActivations]
        /// `batchedBlockForward`'s scratch per architecture (empty with `.plain` blocks).
        let scratch: [ViTArchitecture: BatchedBlockScratch]
        let saved: [UnsafeMutablePointer<Float>]
        let images: UnsafeMutablePointer<Float>
        let labels: UnsafeMutablePointer<Int32>
        let imageLosses: UnsafeMutablePointer<Float>
        let predictions: UnsafeMutablePointer<Int32>
        /// Model m's loss on image i of the batch at [m · batchSize + i].
        var losses: [Float]
        /// Images of the batch each model got right.
        var correct: [Int]
        /// Called with each model's index and logits [batch · classes] as the batch is scored (`logits`).
        var logitSink: ((Int, UnsafePointer<Float>, Int) -> Void)?

        init(_ models: [ViTModel], trees: [Group], imageValues: Int, batchSize: Int, blocks: BlockKernels) {
            self.trees = trees
            self.batchSize = batchSize
            var activations: [ViTArchitecture: ViTActivations] = [:]
            for model in models where activations[model.architecture] == nil {
                activations[model.architecture] = ViTActivations(
                    architecture: model.architecture, depth: 1, batchCapacity: batchSize,
                    keepingEveryLayer: false)
            }
            self.activations = activations
            var scratch: [ViTArchitecture: BatchedBlockScratch] = [:]
            if blocks == .batched {
                for architecture in activations.keys {
                    scratch[architecture] = BatchedBlockScratch(architecture: architecture)
                }
            }
            self.scratch = scratch
            let streamFloats = models.map { batchSize * $0.architecture.tokenCount * $0.architecture.width }.max() ?? 0
            let levels = models.map(\.depth).max() ?? 0
            saved = (0..<levels).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(streamFloats, 1)) }
            images = .allocate(capacity: batchSize * imageValues)
            labels = .allocate(capacity: batchSize)
            imageLosses = .allocate(capacity: batchSize)
            predictions = .allocate(capacity: batchSize)
            losses = [Float](repeating: 0, count: models.count * batchSize)
            correct = [Int](repeating: 0, count: models.count)
        }

        deinit {
            for buffer in saved { buffer.deallocate() }
            images.deallocate()
            labels.deallocate()
            imageLosses.deallocate()
            predictions.deallocate()
        }

        /// Runs the images `batch` of `dataSet` through every tree, filling `losses` and `correct`.
        func evaluate(_ batch: ArraySlice<Int>, of dataSet: ImageDataSet) {
            let n = batch.count
            dataSet.fill(images, labels: labels, indices: batch)
            for index in correct.indices { correct[index] = 0 }
            for tree in trees {
                let arch = tree.parameters.layout.architecture
                let acts = activations[arch]!
                let blockScratch = scratch[arch]
                let x = acts.residual[0]
                let span = n * arch.tokenCount * arch.width
                /// The stream `x` holds `node`'s output: score the models ending here, then run each child.
                func visit(_ node: Node, level: Int) {
                    if !node.ending.isEmpty {
                        vitHeadForward(x, batch: n, architecture: arch, shared: tree.parameters, activations: acts)
                        crossEntropyForward(imageLosses, acts.logits, labels: labels, batch: n, classes: arch.classes)
                        argmaxForward(predictions, acts.logits, batch: n, classes: arch.classes)
                        for index in node.ending {
                            logitSink?(index, acts.logits, n * arch.classes)
                            for i in 0..<n {
                                losses[index * batchSize + i] = imageLosses[i]
                                if predictions[i] == labels[i] { correct[index] += 1 }
                            }
                        }
                    }
                    for (i, child) in node.children.enumerated() {
                        let restore = i < node.children.count - 1
                        if restore { saved[level].update(from: x, count: span) }
                        if let blockScratch {
                            batchedBlockForward(
                                x, weights: child.weights!, scratch: blockScratch, batch: n, architecture: arch)
                        } else {
                            vitBlockForward(
                                x, x, weights: child.weights!, saved: acts.layers[0], branch: acts.branch, batch: n,
                                architecture: arch)
                        }
                        visit(child, level: level + 1)
                        if restore { x.update(from: saved[level], count: span) }
                    }
                }
                vitEmbeddingForward(
                    images: images, batch: n, architecture: arch, shared: tree.parameters, activations: acts)
                visit(tree.root, level: 0)
            }
        }
    }
}
