import Foundation
import LgregCore
import LgregRuntime
import Testing

@testable import LgregTraining

/// Every backward kernel against central finite differences of a Double reference of its forward op.
@Suite struct BackwardKernelTests {
    let tolerance = 1e-4

    @Test func matmul() {
        let rows = 5
        let inF = 7
        let outF = 4
        let inp = randomValues(rows * inF, seed: 1)
        let w = randomValues(outF * inF, seed: 2)
        let bias = randomValues(outF, seed: 3)
        let dout = randomValues(rows * outF, seed: 4)
        func forward(_ x: [Double], _ w: [Double], _ b: [Double]) -> [Double] {
            (0..<rows * outF).map { i in
                let n = i / outF
                let o = i % outF
                return b[o] + (0..<inF).reduce(0) { $0 + x[n * inF + $1] * w[o * inF + $1] }
            }
        }
        var dinp = [Float](repeating: 0, count: inp.count)
        var dw = [Float](repeating: 0, count: w.count)
        var db = [Float](repeating: 0, count: outF)
        matmulBackward(
            dinp: &dinp, dweight: &dw, dbias: &db, dout: dout.floats, inp: inp.floats, weight: w.floats,
            rows: rows, inFeatures: inF, outFeatures: outF)
        #expect(relativeError(dinp, numericGradient(of: { forward($0, w, bias) }, at: inp, dout: dout)) < tolerance)
        #expect(relativeError(dw, numericGradient(of: { forward(inp, $0, bias) }, at: w, dout: dout)) < tolerance)
        #expect(relativeError(db, numericGradient(of: { forward(inp, w, $0) }, at: bias, dout: dout)) < tolerance)
    }

    @Test func layerNorm() {
        let rows = 3
        let width = 21
        let eps = 1e-6  // one 16-lane vector and a tail
        let inp = randomValues(rows * width, seed: 5)
        let w = randomValues(width, seed: 6)
        let b = randomValues(width, seed: 7)
        let dout = randomValues(rows * width, seed: 8)
        func stats(_ x: [Double], _ r: Int) -> (Double, Double) {
            let row = x[(r * width)..<((r + 1) * width)]
            let mean = row.reduce(0, +) / Double(width)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
            return (mean, 1 / (variance + eps).squareRoot())
        }
        func forward(_ x: [Double], _ w: [Double], _ b: [Double]) -> [Double] {
            (0..<rows * width).map { i in
                let (mean, rstd) = stats(x, i / width)
                return (x[i] - mean) * rstd * w[i % width] + b[i % width]
            }
        }
        let mean = (0..<rows).map { Float(stats(inp, $0).0) }
        let rstd = (0..<rows).map { Float(stats(inp, $0).1) }
        var dinp = [Float](repeating: 0, count: inp.count)
        var dw = [Float](repeating: 0, count: width)
        var db = [Float](repeating: 0, count: width)
        layerNormBackward(
            dinp: &dinp, dweight: &dw, dbias: &db, dout: dout.floats, inp: inp.floats, weight: w.floats,
            mean: mean, rstd: rstd, rows: rows, width: width)
        #expect(relativeError(dinp, numericGradient(of: { forward($0, w, b) }, at: inp, dout: dout)) < tolerance)
        #expect(relativeError(dw, numericGradient(of: { forward(inp, $0, b) }, at: w, dout: dout)) < tolerance)
        #expect(relativeError(db, numericGradient(of: { forward(inp, w, $0) }, at: b, dout: dout)) < tolerance)
    }

    @Test func gelu() {
        let x = randomValues(20, seed: 9).map { $0 * 3 }
        let dout = randomValues(20, seed: 10)
        var dinp = [Float](repeating: 0, count: 20)
        geluBackward(dinp: &dinp, dout: dout.floats, inp: x.floats, count: 20)
        let numeric = numericGradient(of: { $0.map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) } }, at: x, dout: dout)
        #expect(relativeError(dinp, numeric) < tolerance)
    }

    @Test func attention() {
        let batch = 2
        let tokens = 5
        let width = 6
        let heads = 2
        let hd = width / heads
        let qkv = randomValues(batch * tokens * 3 * width, seed: 11)
        let dout = randomValues(batch * tokens * width, seed: 12)
        let scale = 1 / Double(hd).squareRoot()
        // Double reference: probs[b,h,i,j] = softmax_j(s·q_i·k_j), out[b,i,h·hd+e] = Σ_j probs·v_j[e].
        func probabilities(_ x: [Double]) -> [Double] {
            var p = [Double](repeating: 0, count: batch * heads * tokens * tokens)
            for b in 0..<batch {
                for h in 0..<heads {
                    for i in 0..<tokens {
                        var row = (0..<tokens).map { j in
                            (0..<hd).reduce(0.0) { acc, e in
                                acc + x[(b * tokens + i) * 3 * width + h * hd + e]
                                    * x[(b * tokens + j) * 3 * width + width + h * hd + e]
                            } * scale
                        }
                        let m = row.max()!
                        row = row.map { exp($0 - m) }
                        let s = row.reduce(0, +)
                        for j in 0..<tokens { p[((b * heads + h) * tokens + i) * tokens + j] = row[j] / s }
                    }
                }
            }
            return p
        }
        func forward(_ x: [Double]) -> [Double] {
            let p = probabilities(x)
            var out = [Double](repeating: 0, count: batch * tokens * width)
            for b in 0..<batch {
                for h in 0..<heads {
                    for i in 0..<tokens {
                        for e in 0..<hd {
                            out[(b * tokens + i) * width + h * hd + e] = (0..<tokens).reduce(0.0) { acc, j in
                                acc + p[((b * heads + h) * tokens + i) * tokens + j]
                                    * x[(b * tokens + j) * 3 * width + 2 * width + h * hd + e]
                            }
                        }
                    }
                }
            }
            return out
        }
        var dqkv = [Float](repeating: 0, count: qkv.count)
        var scratch = [Float](repeating: 0, count: tokens * tokens)
        attentionBackward(
            dqkv: &dqkv, dout: dout.floats, qkv: qkv.floats, probs: probabilities(qkv).floats, scratch: &scratch,
            batch: batch, tokens: tokens, width: width, heads: heads)
        #expect(relativeError(dqkv, numericGradient(of: forward, at: qkv, dout: dout)) < tolerance)
    }

    @Test(arguments: [false, true]) func tokenEmbedding(classToken: Bool) {
        let batch = 2
        let patches = 3
        let width = 4
        let tokens = patches + (classToken ? 1 : 0)
        let pos = randomValues(tokens * width, seed: 13)
        let cls = randomValues(width, seed: 14)
        let patchOut = randomValues(batch * patches * width, seed: 15)
        let dout = randomValues(batch * tokens * width, seed: 16)
        func forward(_ patchOut: [Double], _ pos: [Double], _ cls: [Double]) -> [Double] {
            (0..<batch * tokens * width).map { i in
                let b = i / (tokens * width)
                let t = (i / width) % tokens
                let e = i % width
                let base =
                    classToken && t == 0 ? cls[e] : patchOut[(b * patches + t - (classToken ? 1 : 0)) * width + e]
                return base + pos[t * width + e]
            }
        }
        var dp = [Float](repeating: 0, count: patchOut.count)
        var dpos = [Float](repeating: 0, count: pos.count)
        var dcls = [Float](repeating: 0, count: width)
        if classToken {
            tokenEmbeddingBackward(
                dpatches: &dp, dpos: &dpos, dcls: &dcls, dx: dout.floats, batch: batch, patches: patches, width: width)
            #expect(
                relativeError(dcls, numericGradient(of: { forward(patchOut, pos, $0) }, at: cls, dout: dout))
                    < tolerance)
        } else {
            tokenEmbeddingBackward(
                dpatches: &dp, dpos: &dpos, dcls: nil, dx: dout.floats, batch: batch, patches: patches, width: width)
        }
        #expect(relativeError(dp, numericGradient(of: { forward($0, pos, cls) }, at: patchOut, dout: dout)) < tolerance)
        #expect(
            relativeError(dpos, numericGradient(of: { forward(patchOut, $0, cls) }, at: pos, dout: dout)) < tolerance)
    }

    @Test func meanPool() {
        let batch = 2
        let tokens = 4
        let first = 1
        let width = 3
        let x = randomValues(batch * tokens * width, seed: 17)
        let dout = randomValues(batch * width, seed: 18)
        func forward(_ x: [Double]) -> [Double] {
            (0..<batch * width).map { i in
                let b = i / width
                let e = i % width
                return (first..<tokens).reduce(0.0) { $0 + x[(b * tokens + $1) * width + e] } / Double(tokens - first)
            }
        }
        var dx = [Float](repeating: 0, count: x.count)
        meanPoolBackward(dx: &dx, dpooled: dout.floats, batch: batch, tokens: tokens, first: first, width: width)
        #expect(relativeError(dx, numericGradient(of: forward, at: x, dout: dout)) < tolerance)
    }
}
