import Foundation
import LgregCore
import LgregTestSupport
import Testing

@testable import LgregRuntime

/// Deterministic pseudo-random floats in [-1, 1), so failures reproduce.
func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float.random(in: -1..<1, using: &generator) }
}

/// The kernels against hand-worked cases and `Double` references. Where a test compares floats with `==`, every
/// input, partial sum and result is a small integer or half-integer, exact in `Float` whatever order BLAS or the
/// vectorizer adds in; everything else is compared with a stated tolerance.
@Suite struct KernelTests {
    @Test func matmulMatchesHandWorkedProduct() {
        // [[1,2],[3,4]] · [[5,6],[7,8]]ᵀ + [1, -1] = [[1·5+2·6+1, 1·7+2·8−1], [3·5+4·6+1, 3·7+4·8−1]]
        let inp: [Float] = [1, 2, 3, 4]
        let weight: [Float] = [5, 6, 7, 8]
        let bias: [Float] = [1, -1]
        var out = [Float](repeating: .nan, count: 4)
        matmulForward(&out, inp, weight, bias, rows: 2, inDim: 2, outDim: 2)
        #expect(out == [18, 22, 40, 52])
        matmulForward(&out, inp, weight, nil, rows: 2, inDim: 2, outDim: 2)
        #expect(out == [17, 23, 39, 53])
    }

    @Test(arguments: [(1, 1, 1), (7, 13, 5), (33, 48, 144), (64, 17, 3)])
    func matmulMatchesReference(shape: (Int, Int, Int)) {
        let (rows, inDim, outDim) = shape
        let inp = randomFloats(rows * inDim, seed: 1)
        let weight = randomFloats(outDim * inDim, seed: 2)
        let bias = randomFloats(outDim, seed: 3)
        var fast = [Float](repeating: 0, count: rows * outDim)
        var slow = fast
        matmulForward(&fast, inp, weight, bias, rows: rows, inDim: inDim, outDim: outDim)
        referenceMatmulForward(&slow, inp, weight, bias, rows: rows, inDim: inDim, outDim: outDim)
        expectClose(fast, slow, absolute: 1e-5)
    }

    @Test func sgemmHonoursTransposesAndLeadingDimensions() {
        // A stored [k×m] = [[1,2],[3,4],[5,6]] read transposed (m=2, k=3); B = I₃ padded to ldb 4.
        let a: [Float] = [1, 2, 3, 4, 5, 6]
        let b: [Float] = [1, 0, 0, 9, 0, 1, 0, 9, 0, 0, 1, 9]
        var c: [Float] = [1, 1, 1, 1, 1, 1]
        sgemm(
            transA: true, transB: false, m: 2, n: 3, k: 3, alpha: 2, a: a, lda: 2, b: b, ldb: 4,
            beta: 1, c: &c, ldc: 3)
        #expect(c == [3, 7, 11, 5, 9, 13])
    }

    @Test func layerNormMatchesHandWorkedRow() {
        // Row [1,2,3,4]: μ = 2.5, var = 1.25, rstd = 1/√(1.25 + eps).
        let inp: [Float] = [1, 2, 3, 4, 10, 10, 10, 10]
        let weight: [Float] = [1, 2, 1, 1]
        let bias: [Float] = [0, 0, 1, -1]
        var out = [Float](repeating: 0, count: 8)
        var mean: [Float] = [0, 0]
        var rstd: [Float] = [0, 0]
        layerNormForward(&out, mean: &mean, rstd: &rstd, inp, weight: weight, bias: bias, rows: 2, cols: 4, eps: 1e-5)
        let s = 1 / Float(1.25 + 1e-5).squareRoot()
        #expect(mean == [2.5, 10])
        #expect(abs(rstd[0] - s) < 1e-6)
        let expected: [Float] = [-1.5 * s, -0.5 * s * 2, 0.5 * s + 1, 1.5 * s - 1, 0, 0, 1, -1]
        expectClose(out, expected, absolute: 1e-6)
        #expect(abs(rstd[1] - 1 / Float(1e-5).squareRoot()) < 1e-2)
    }

    @Test func layerNormOfWideRowsMatchesDoubleReference() {
        let rows = 5
        let cols = 77
        let inp = randomFloats(rows * cols, seed: 4).map { $0 * 3 + 1 }
        let weight = randomFloats(cols, seed: 5)
        let bias = randomFloats(cols, seed: 6)
        var out = [Float](repeating: 0, count: rows * cols)
        var mean = [Float](repeating: 0, count: rows)
        var rstd = mean
        layerNormForward(
            &out, mean: &mean, rstd: &rstd, inp, weight: weight, bias: bias, rows: rows, cols: cols, eps: 1e-6)
        var expected = [Float]()
        for r in 0..<rows {
            let row = inp[r * cols..<(r + 1) * cols].map(Double.init)
            let mu = row.reduce(0, +) / Double(cols)
            let variance = row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(cols)
            expected += row.enumerated().map {
                Float(($1 - mu) / (variance + 1e-6).squareRoot() * Double(weight[$0]) + Double(bias[$0]))
            }
        }
        expectClose(out, expected, absolute: 1e-5)
    }

    @Test func geluIsTheErfForm() {
        let inp = stride(from: -9.0, through: 9.0, by: 0.013).map { Float($0) }
        var out = [Float](repeating: 0, count: inp.count)
        geluForward(&out, inp, count: inp.count)
        let expected = inp.map { Float(0.5 * Double($0) * (1 + Foundation.erf(Double($0) / 2.0.squareRoot()))) }
        expectClose(out, expected, absolute: 2e-6)
        // GELU(1) = 0.8413447…, GELU(−1) = −0.1586553… (erf form; the tanh form gives 0.841192).
        var pair: [Float] = [1, -1]
        geluForward(&pair, pair, count: 2)
        #expect(abs(pair[0] - 0.841_344_7) < 1e-6 && abs(pair[1] + 0.158_655_3) < 1e-6)
    }

    @Test func vectorExpMatchesFoundation() {
        let inp = stride(from: -80.0, through: 80.0, by: 0.37).map { Float($0) }
        var out = [Float](repeating: 0, count: inp.count)
        for i in inp.indices { out[i] = VectorMath.exp(inp[i]) }
        for (x, y) in zip(inp, out) {
            let reference = Foundation.exp(Double(x))
            #expect(abs(Double(y) - reference) / reference < 3e-7, "exp(\(x))")
        }
    }

    @Test func softmaxMatchesHandWorkedRows() {
        // softmax([0, ln 3]) = [1/4, 3/4]; softmax([1000, 1000, 1000]) = thirds without overflow.
        var values: [Float] = [0, Float(Foundation.log(3.0)), 1000, 1000]
        softmaxForward(&values, values, rows: 2, cols: 2)
        expectClose(values, [0.25, 0.75, 0.5, 0.5], absolute: 1e-6)
    }

    @Test func attentionMatchesNaiveLoops() {
        let batch = 2
        let tokens = 5
        let heads = 3
        let headDim = 4
        let width = heads * headDim
        let qkv = randomFloats(batch * tokens * 3 * width, seed: 7).map { $0 * 2 }
        var out = [Float](repeating: 0, count: batch * tokens * width)
        var probs = [Float](repeating: 0, count: batch * heads * tokens * tokens)
        attentionForward(&out, probs: &probs, qkv, batch: batch, tokens: tokens, heads: heads, headDim: headDim)
        func value(_ b: Int, _ t: Int, _ which: Int, _ h: Int, _ i: Int) -> Double {
            Double(qkv[(((b * tokens + t) * 3 + which) * heads + h) * headDim + i])
        }
        var expectedOut = [Float](repeating: 0, count: out.count)
        var expectedProbs = [Float](repeating: 0, count: probs.count)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<tokens {
                    let scores = (0..<tokens).map { j in
                        (0..<headDim).map { value(b, i, 0, h, $0) * value(b, j, 1, h, $0) }.reduce(0, +)
                            / Double(headDim).squareRoot()
                    }
                    let top = scores.max()!
                    let weights = scores.map { Foundation.exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for j in 0..<tokens {
                        expectedProbs[((b * heads + h) * tokens + i) * tokens + j] = Float(weights[j] / total)
                    }
                    for c in 0..<headDim {
                        let sum = (0..<tokens).map { weights[$0] / total * value(b, $0, 2, h, c) }.reduce(0, +)
                        expectedOut[(b * tokens + i) * width + h * headDim + c] = Float(sum)
                    }
                }
            }
        }
        expectClose(probs, expectedProbs, absolute: 1e-6)
        expectClose(out, expectedOut, absolute: 1e-5)
    }

    @Test func patchifyUnfoldsInConvWeightOrder() {
        // One 2-channel 4×4 image, patch 2: patch (gy=0, gx=1) holds channel 0 rows 0–1 cols 2–3, then channel 1.
        let images = (0..<32).map(Float.init)
        var patches = [Float](repeating: 0, count: 32)
        patchifyForward(&patches, images, batch: 1, channels: 2, imageSize: 4, patchSize: 2)
        #expect(Array(patches[8..<16]) == [2, 3, 6, 7, 18, 19, 22, 23])
        #expect(Array(patches[24..<32]) == [10, 11, 14, 15, 26, 27, 30, 31])
    }

    @Test func poolingAndTokenEmbedding() {
        // batch 1, 2 patches, width 2, with a class token.
        let patchTokens: [Float] = [1, 2, 3, 4]
        let cls: [Float] = [10, 20]
        let pos: [Float] = [0.5, 0.5, 1, 1, 2, 2]
        var tokens = [Float](repeating: 0, count: 6)
        tokenEmbedForward(&tokens, patchTokens, classToken: cls, posEmbed: pos, batch: 1, patches: 2, width: 2)
        #expect(tokens == [10.5, 20.5, 2, 3, 5, 6])
        var pooled: [Float] = [0, 0]
        meanPoolForward(&pooled, tokens, batch: 1, tokens: 3, width: 2, skip: 1)
        #expect(pooled == [3.5, 4.5])
        classPoolForward(&pooled, tokens, batch: 1, tokens: 3, width: 2)
        #expect(pooled == [10.5, 20.5])
    }

    @Test func crossEntropyAndArgmax() {
        // logits [0, ln 3]: p = [1/4, 3/4]; label 0 → ln 4, label 1 → ln(4/3).
        let logits: [Float] = [0, Float(Foundation.log(3.0)), 5, -5]
        var losses: [Float] = [0, 0]
        crossEntropyForward(&losses, logits, labels: [0, 1], batch: 2, classes: 2)
        #expect(abs(losses[0] - Float(Foundation.log(4.0))) < 1e-6)
        #expect(abs(losses[1] - Float(10 + Foundation.log(1 + Foundation.exp(-10.0)))) < 1e-5)
        var best: [Int32] = [9, 9]
        argmaxForward(&best, logits, batch: 2, classes: 2)
        #expect(best == [1, 0])
    }
}
