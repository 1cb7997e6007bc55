import Foundation
import LgregCore
import LgregTestSupport
import Testing

@testable import LgregRuntime

/// The fused and threaded kernels of issue 28 against the unfused kernels they replace and `Double` references.
/// `==` where both sides apply the same float operations to the same values (a fusion or a thread split must not
/// move a bit); a stated tolerance where the order of additions changes.
@Suite(.serialized) struct FusedKernelTests {
    /// Runs `body` with OpenBLAS (and so the kernels) on `threads` threads, restoring the count after.
    func withThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let before = BLASThreads.count
        BLASThreads.set(threads)
        defer { BLASThreads.set(before) }
        return try body()
    }

    @Test func biasGeluEqualsBiasThenGelu() {
        let rows = 33
        let cols = 40
        let gemmOut = randomFloats(rows * cols, seed: 21).map { $0 * 4 }
        let bias = randomFloats(cols, seed: 22)
        var expectedPre = gemmOut
        for r in 0..<rows { for c in 0..<cols { expectedPre[r * cols + c] += bias[c] } }
        var expected = [Float](repeating: 0, count: rows * cols)
        geluForward(&expected, expectedPre, count: rows * cols)
        // Training: the biased pre-activation kept, the GELU beside it.
        var pre = gemmOut
        var out = [Float](repeating: .nan, count: rows * cols)
        biasGeluForward(&out, preActivation: &pre, bias: bias, rows: rows, cols: cols)
        #expect(pre == expectedPre)
        #expect(out == expected)
        // Inference: in place.
        var inPlace = gemmOut
        inPlace.withUnsafeMutableBufferPointer { p in
            biasGeluForward(p.baseAddress!, preActivation: p.baseAddress!, bias: bias, rows: rows, cols: cols)
        }
        #expect(inPlace == expected)
        // GELU(1) by the erf form, 0.8413447…, through the fused path: 0.5 + 0.5 with bias 0.5.
        var one: [Float] = [0.5]
        one.withUnsafeMutableBufferPointer { p in
            biasGeluForward(p.baseAddress!, preActivation: p.baseAddress!, bias: [0.5], rows: 1, cols: 1)
        }
        #expect(abs(one[0] - 0.841_344_7) < 1e-6)
    }

    @Test(arguments: [false, true])
    func residualBranchAccumulatesOntoTheStream(inPlace: Bool) {
        let rows = 37
        let inDim = 24
        let outDim = 16
        let x = randomFloats(rows * outDim, seed: 23)
        let inp = randomFloats(rows * inDim, seed: 24)
        let weight = randomFloats(outDim * inDim, seed: 25)
        let bias = randomFloats(outDim, seed: 26)
        var out = inPlace ? x : [Float](repeating: .nan, count: rows * outDim)
        out.withUnsafeMutableBufferPointer { o in
            x.withUnsafeBufferPointer { xs in
                biasResidualForward(
                    o.baseAddress!, inPlace ? UnsafePointer(o.baseAddress!) : xs.baseAddress!, bias: bias, rows: rows,
                    cols: outDim)
            }
            matmulAccumulate(o.baseAddress!, inp, weight, rows: rows, inDim: inDim, outDim: outDim)
        }
        let expected = (0..<(rows * outDim)).map { i -> Double in
            let (r, o) = i.quotientAndRemainder(dividingBy: outDim)
            return Double(x[i]) + Double(bias[o])
                + (0..<inDim).reduce(0.0) { $0 + Double(inp[r * inDim + $1]) * Double(weight[o * inDim + $1]) }
        }
        expectClose(out, expected, absolute: 1e-5)
    }

    @Test func elementwiseKernelsGiveTheSameBitsOnOneAndTwoThreads() {
        let rows = 600
        let cols = 96  // 57,600 values: split over two threads at two
        let x = randomFloats(rows * cols, seed: 27).map { $0 * 3 }
        let y = randomFloats(rows * cols, seed: 28)
        let weight = randomFloats(cols, seed: 29)
        let bias = randomFloats(cols, seed: 30)
        func run() -> [[Float]] {
            var gelu = [Float](repeating: 0, count: x.count)
            geluForward(&gelu, x, count: x.count)
            var sum = [Float](repeating: 0, count: x.count)
            residualForward(&sum, x, y, count: x.count)
            var norm = [Float](repeating: 0, count: x.count)
            var mean = [Float](repeating: 0, count: rows)
            var rstd = [Float](repeating: 0, count: rows)
            layerNormForward(
                &norm, mean: &mean, rstd: &rstd, x, weight: weight, bias: bias, rows: rows, cols: cols, eps: 1e-6)
            var pre = x
            var biasGelu = [Float](repeating: 0, count: x.count)
            biasGeluForward(&biasGelu, preActivation: &pre, bias: bias, rows: rows, cols: cols)
            var dgelu = y
            geluBackward(dinp: &dgelu, dout: y, inp: x, count: x.count)
            return [gelu, sum, norm, mean, rstd, pre, biasGelu, dgelu]
        }
        let one = withThreads(1, run)
        let two = withThreads(2, run)
        #expect(one == two)
    }

    @Test func attentionOnSplitPairsMatchesPairsInOrder() {
        let batch = 3
        let tokens = 17
        let heads = 2
        let headDim = 8
        let width = heads * headDim
        let qkv = randomFloats(batch * tokens * 3 * width, seed: 31)
        let dout = randomFloats(batch * tokens * width, seed: 32)
        func run(split: Bool) -> (out: [Float], probs: [Float], dqkv: [Float]) {
            KernelThreads.splitsAttention = split
            defer { KernelThreads.splitsAttention = false }
            var out = [Float](repeating: 0, count: batch * tokens * width)
            var probs = [Float](repeating: 0, count: batch * heads * tokens * tokens)
            attentionForward(&out, probs: &probs, qkv, batch: batch, tokens: tokens, heads: heads, headDim: headDim)
            var dqkv = [Float](repeating: .nan, count: qkv.count)
            var scratch = [Float](repeating: 0, count: tokens * tokens)
            attentionBackward(
                dqkv: &dqkv, dout: dout, qkv: qkv, probs: probs, scratch: &scratch, batch: batch, tokens: tokens,
                width: width, heads: heads, accumulate: false)
            return (out, probs, dqkv)
        }
        let (split, inOrder) = withThreads(2) { (run(split: true), run(split: false)) }
        // OpenBLAS's threads may move a GEMM's last bits; the split runs each pair's products on one thread.
        expectClose(split.out, inOrder.out, absolute: 1e-6)
        expectClose(split.probs, inOrder.probs, absolute: 1e-6)
        expectClose(split.dqkv, inOrder.dqkv, absolute: 1e-6)
        #expect(!split.dqkv.contains { $0.isNaN })
        // Writing (accumulate: false) equals accumulating onto zeros, to the bit.
        var accumulated = [Float](repeating: 0, count: qkv.count)
        var scratch = [Float](repeating: 0, count: tokens * tokens)
        withThreads(2) {
            attentionBackward(
                dqkv: &accumulated, dout: dout, qkv: qkv, probs: split.probs, scratch: &scratch, batch: batch,
                tokens: tokens, width: width, heads: heads)
        }
        #expect(accumulated == split.dqkv)
    }

    @Test func backwardWritesEqualAccumulatingOntoZeros() {
        let rows = 19
        let inF = 12
        let outF = 10
        let inp = randomFloats(rows * inF, seed: 33)
        let weight = randomFloats(outF * inF, seed: 34)
        let dout = randomFloats(rows * outF, seed: 35)
        var written = [Float](repeating: .nan, count: rows * inF)
        var accumulated = [Float](repeating: 0, count: rows * inF)
        var dw = [Float](repeating: 0, count: outF * inF)
        var db = [Float](repeating: 0, count: outF)
        matmulBackward(
            dinp: &written, dweight: &dw, dbias: &db, dout: dout, inp: inp, weight: weight, rows: rows,
            inFeatures: inF, outFeatures: outF, accumulateInput: false)
        var dw2 = [Float](repeating: 0, count: outF * inF)
        var db2 = [Float](repeating: 0, count: outF)
        matmulBackward(
            dinp: &accumulated, dweight: &dw2, dbias: &db2, dout: dout, inp: inp, weight: weight, rows: rows,
            inFeatures: inF, outFeatures: outF)
        #expect(written == accumulated && dw == dw2 && db == db2)
        // dbias = Σ over rows of dout, in row order.
        expectClose(
            db, (0..<outF).map { o in (0..<rows).reduce(0.0) { $0 + Double(dout[$1 * outF + o]) } }, absolute: 1e-5)
        var geluWritten = [Float](repeating: .nan, count: rows * inF)
        var geluAccumulated = [Float](repeating: 0, count: rows * inF)
        geluBackward(dinp: &geluWritten, dout: written, inp: inp, count: rows * inF, accumulate: false)
        geluBackward(dinp: &geluAccumulated, dout: written, inp: inp, count: rows * inF)
        #expect(geluWritten == geluAccumulated)
    }

    @Test func chunksCoverEveryItemOnce() {
        let cases = [
            (1000, 1, 3, 1), (7, 1, 2, 1), (5, 10, 2, 1), (0, 1, 2, 1), (64, 16, 8, 1), (96, 1, 2, 4), (5, 1, 2, 4),
        ]
        for (count, minimum, threads, perThread) in cases {
            var seen = [Int](repeating: 0, count: count)
            var chunks: [Range<Int>] = []
            let lock = NSLock()
            KernelThreads.forEachChunk(count, minimumPerThread: minimum, threads: threads, chunksPerThread: perThread) {
                _, range in
                lock.lock()
                chunks.append(range)
                lock.unlock()
            }
            for range in chunks { for i in range { seen[i] += 1 } }
            #expect(seen.allSatisfy { $0 == 1 }, "count \(count), minimum \(minimum), threads \(threads)")
            let used = min(threads, count / minimum)
            #expect(chunks.count == (used <= 1 ? 1 : min(used * perThread, count)))
        }
    }
}
