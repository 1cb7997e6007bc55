import Foundation
import LgregArchitecture
import LgregTestSupport
import Testing

@testable import LgregRuntime

/// The prefix tree's batched block kernels against the plain ones they replace, and the FLOP and sgemm-peak
/// accounting `verify` prints.
@Suite struct BatchedBlocksTests {
    /// Hand attention against `attentionForward` (two OpenBLAS GEMMs per image and head) on random packed qkv.
    /// They sum in different orders: |difference| ≤ 1e-5 for outputs of size ≤ 1 (convex combinations of values in
    /// [-1, 1)). Shapes: the zoo's (49 tokens, 2 heads of 32), one vector of keys (5 tokens, width 8), a ragged
    /// sequence with three heads of 16, and the longest the kernel takes (56 tokens) with heads of 40 (32 + 8
    /// channels: both of the value product's widths).
    @Test(arguments: [(3, 49, 2, 32), (2, 5, 1, 8), (4, 17, 3, 16), (2, 56, 2, 40)])
    func handAttentionMatchesTheGEMMs(shape: (Int, Int, Int, Int)) {
        let (batch, tokens, heads, headDim) = shape
        #expect(smallAttentionApplies(tokens: tokens, headDim: headDim))
        let width = heads * headDim
        let qkv = randomFloats(batch * tokens * 3 * width, seed: 11)
        var plain = [Float](repeating: .nan, count: batch * tokens * width)
        var probs = [Float](repeating: 0, count: batch * heads * tokens * tokens)
        attentionForward(&plain, probs: &probs, qkv, batch: batch, tokens: tokens, heads: heads, headDim: headDim)
        var hand = [Float](repeating: .nan, count: batch * tokens * width)
        var scratch = [Float](repeating: .nan, count: smallAttentionScratch(tokens: tokens, headDim: headDim))
        smallAttentionForward(
            &hand, qkv, scratch: &scratch, batch: batch, tokens: tokens, heads: heads, headDim: headDim)
        expectClose(hand, plain, absolute: 1e-5, "attention \(shape)")
    }

    @Test func handAttentionRefusesWhatItCannotDo() {
        #expect(!smallAttentionApplies(tokens: 57, headDim: 32))
        #expect(!smallAttentionApplies(tokens: 49, headDim: 12))
        #expect(smallAttentionApplies(tokens: 1, headDim: 8))
    }

    /// `fastErf` against Foundation's `erf` in Double on a grid over [-10, 10]: |error| < 5e-7 (the A&S form of
    /// `VectorMath.erf` reaches 6.4e-7); `biasGELUForward` against `geluForward` of the biased values:
    /// |difference| ≤ 2e-6 + 1e-6·|g| (both erf forms' errors, times |z| ≤ 5).
    @Test func fastErfAndBiasGELUMatchTheirReferences() {
        var worst = 0.0
        var x: Float = -10
        while x <= 10 {
            worst = max(worst, abs(Double(fastErf(x)) - erf(Double(x))))
            x += 0.000_37
        }
        #expect(worst < 5e-7, "worst |fastErf − erf| \(worst)")
        let rows = 5
        let cols = 24
        let values = randomFloats(rows * cols, seed: 3).map { 4 * $0 }
        let bias = randomFloats(cols, seed: 4)
        var fused = values
        biasGELUForward(&fused, bias: bias, rows: rows, cols: cols)
        var biased = values
        for r in 0..<rows { for c in 0..<cols { biased[r * cols + c] += bias[c] } }
        var plain = biased
        geluForward(&plain, biased, count: rows * cols)
        expectClose(fused, plain, absolute: 2e-6, relative: 1e-6, "bias + GELU")
    }

    /// x += inp · Wᵀ + b in one GEMM onto x, against `matmulForward` then `residualForward` (|Δ| ≤ 1e-5).
    @Test func residualLinearMatchesMatmulThenAdd() {
        let (rows, inDim, outDim) = (13, 20, 9)
        let x = randomFloats(rows * outDim, seed: 7)
        let inp = randomFloats(rows * inDim, seed: 8)
        let weight = randomFloats(outDim * inDim, seed: 9)
        let bias = randomFloats(outDim, seed: 10)
        var fused = x
        residualLinearForward(&fused, inp, weight, bias, rows: rows, inDim: inDim, outDim: outDim)
        var branch = [Float](repeating: 0, count: rows * outDim)
        matmulForward(&branch, inp, weight, bias, rows: rows, inDim: inDim, outDim: outDim)
        var plain = x
        residualForward(&plain, x, branch, count: rows * outDim)
        expectClose(fused, plain, absolute: 1e-5, "residual linear")
    }

    /// Random block weights of `architecture` (scaled to a ViT's usual sizes: weights ±0.1, norms near 1).
    func randomParameters(_ architecture: ViTArchitecture, blocks: Int, seed: UInt64) -> ViTParameters {
        let parameters = ViTParameters(layout: ParameterLayout(architecture: architecture, blockCount: blocks))
        let values = randomFloats(parameters.layout.count, seed: seed)
        for i in values.indices { parameters.storage[i] = 0.1 * values[i] }
        for b in 0..<blocks {
            let block = parameters.block(b)
            for c in 0..<architecture.width {
                block.norm1Weight[c] += 1
                block.norm2Weight[c] += 1
            }
        }
        return parameters
    }

    /// `batchedBlockForward` (chunks of a few images, hand attention where it applies) against `vitBlockForward`
    /// on the whole batch, on a batch that is not a multiple of the chunk: |difference| ≤ 1e-4 + 1e-4·|x| on a
    /// residual stream of size about 1 after two blocks. fmnist-tiny takes the hand attention; 4×4 images with
    /// patch 1 (64 tokens with a class token) take the GEMMs.
    @Test(arguments: ["fmnist-tiny", "long-sequence"])
    func batchedBlockMatchesThePlainBlock(preset: String) throws {
        let architecture =
            try preset == "long-sequence"
            ? ViTArchitecture(
                imageSize: 8, patchSize: 1, inChannels: 1, width: 32, heads: 2, mlpRatio: 4, classes: 3,
                classToken: true, pooling: .cls)
            : ViTArchitecture.preset(preset)
        let batch = 11
        let parameters = randomParameters(architecture, blocks: 2, seed: 5)
        let span = batch * architecture.tokenCount * architecture.width
        let start = randomFloats(span, seed: 6)
        let acts = ViTActivations(architecture: architecture, depth: 1, batchCapacity: batch, keepingEveryLayer: false)
        var plain = start
        plain.withUnsafeMutableBufferPointer { x in
            for b in 0..<2 {
                vitBlockForward(
                    x.baseAddress!, x.baseAddress!, weights: parameters.block(b), saved: acts.layers[0],
                    branch: acts.branch, batch: batch, architecture: architecture)
            }
        }
        let scratch = BatchedBlockScratch(architecture: architecture)
        #expect(scratch.chunk < batch && batch % scratch.chunk != 0, "chunk \(scratch.chunk)")
        #expect(scratch.count == BatchedBlockScratch.floats(architecture))
        /// Both blocks, batched, on a copy of `start`.
        func batchedRun() -> [Float] {
            var x = start
            x.withUnsafeMutableBufferPointer { x in
                for b in 0..<2 {
                    batchedBlockForward(
                        x.baseAddress!, weights: parameters.block(b), scratch: scratch, batch: batch,
                        architecture: architecture)
                }
            }
            return x
        }
        let batched = batchedRun()
        expectClose(batched, plain, absolute: 1e-4, relative: 1e-4, "\(preset) residual stream")
        // Repeatable: the same inputs give the same figures. OpenBLAS rounds a row by the rows each of its threads
        // takes, and other tests in this process change its thread count between the two runs, so the runs are
        // compared within a millionth, not to the bit (at a fixed thread count they agree to the bit).
        let again = batchedRun()
        expectClose(again, batched, absolute: 1e-6, relative: 1e-6, "\(preset) second run")
    }

    /// fmnist-tiny's FLOPs by hand: per block 2·(49·(64·192 + 64·64 + 64·256 + 256·64) + 2·49·49·64 + 2·5·49·64)
    /// = 2·(2,408,448 + 307,328 + 31,360) = 5,494,272; the embedding 2·49·16·64 = 100,352; the final norm over
    /// every token (avgNormFirst) and the head 2·(5·49·64 + 64·10) = 32,640.
    @Test func flopsFollowTheArchitecturesAccounting() throws {
        let tiny = try ViTArchitecture.preset("fmnist-tiny")
        #expect(EvaluationFLOPs.block(tiny) == 5_494_272)
        #expect(EvaluationFLOPs.embedding(tiny) == 100_352)
        #expect(EvaluationFLOPs.head(tiny) == 2 * (5 * 49 * 64 + 64 * 10))
        let parameters = randomParameters(tiny, blocks: 3, seed: 1)
        let maps = [[0, 1, 2], [0, 1], [0, 2, 2, 1], [1]]
        let models = try maps.map { try ViTModel(parameters: parameters, layerMap: $0) }
        // Prefixes: 0, 0-1, 0-1-2, 0-2, 0-2-2, 0-2-2-1, 1: seven nodes, one embedding, four heads.
        let shared = EvaluationFLOPs.embedding(tiny) + 7 * EvaluationFLOPs.block(tiny) + 4 * EvaluationFLOPs.head(tiny)
        #expect(EvaluationFLOPs.perImage(models, shared: true) == shared)
        let alone =
            4 * (EvaluationFLOPs.embedding(tiny) + EvaluationFLOPs.head(tiny)) + 10 * EvaluationFLOPs.block(tiny)
        #expect(EvaluationFLOPs.perImage(models, shared: false) == alone)
        #expect(models.map(EvaluationFLOPs.model).reduce(0, +) == alone)
    }

    /// The batched tree's logits against each model's own forward pass (`ViTRunner`) on 37 test images, for
    /// models that share prefixes and branch (maps 0-1-2, 0-1, 0-2-2-1, 1 and a 0-1-2-0-1 Aux-Net-like map) plus a
    /// model on a parameter set of its own: |difference| ≤ 1e-4 + 1e-4·|logit| after up to five blocks. The
    /// plain kernels through the tree give each model's logits to the bit.
    @Test func batchedTreeLogitsMatchEachModelsOwnForwardPass() throws {
        let tiny = try ViTArchitecture.preset("fmnist-tiny")
        let shared = randomParameters(tiny, blocks: 3, seed: 21)
        let other = randomParameters(tiny, blocks: 2, seed: 22)
        let models =
            try [[0, 1, 2], [0, 1], [0, 2, 2, 1], [1], [0, 1, 2, 0, 1]].map {
                try ViTModel(parameters: shared, layerMap: $0)
            } + [try ViTModel(parameters: other, layerMap: [1, 0])]
        let test = try FashionMNIST.load(.test)
        let indices = Array(100..<137)[...]
        let batched = try PrefixTreeEvaluation.logits(models, on: test, indices: indices, blocks: .batched)
        let plain = try PrefixTreeEvaluation.logits(models, on: test, indices: indices, blocks: .plain)
        let images = UnsafeMutablePointer<Float>.allocate(capacity: indices.count * test.imageValues)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: indices.count)
        defer {
            images.deallocate()
            labels.deallocate()
        }
        test.fill(images, labels: labels, indices: indices)
        for (index, model) in models.enumerated() {
            let runner = ViTRunner(model: model, maxBatch: indices.count)
            let own = Array(
                UnsafeBufferPointer(
                    start: try runner.logits(images: images, batch: indices.count), count: indices.count * tiny.classes)
            )
            #expect(plain[index] == own, "model \(index) (map \(model.layerMap)): plain kernels through the tree")
            expectClose(batched[index], own, absolute: 1e-4, relative: 1e-4, "model \(index) (map \(model.layerMap))")
        }
    }

    @Test func sgemmPeakIsMeasuredOnTheThreadsAskedForAndPutsOpenBLASBack() {
        let before = BLASThreads.count
        let peak = SgemmPeak.measure(size: 128, threads: 1, seconds: 0.01)
        #expect(peak.size == 128 && peak.threads == 1 && peak.calls >= 3)
        // 2·128³ FLOPs take at least a microsecond and at most a second on anything that runs lgreg.
        #expect(peak.gflopsPerSecond > 4 && peak.gflopsPerSecond < 4_000_000, "\(peak.gflopsPerSecond) GFLOP/s")
        // A call's CPU time is at most its wall time on one thread (plus the clocks' granularity), so the rate per
        // CPU second is at least the wall-time rate, within a tenth.
        #expect(
            peak.gflopsPerCPUSecond >= 0.9 * peak.gflopsPerSecond && peak.gflopsPerCPUSecond < 4_000_000,
            "\(peak.gflopsPerCPUSecond) GFLOP per CPU second, \(peak.gflopsPerSecond) GFLOP/s")
        #expect(BLASThreads.count == before)
    }
}
