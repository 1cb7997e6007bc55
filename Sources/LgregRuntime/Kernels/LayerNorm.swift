/// LayerNorm over the last dimension:
/// out[r, c] = (inp[r, c] − μᵣ) · rstdᵣ · weight[c] + bias[c], μᵣ = mean of row r, rstdᵣ = 1/√(varᵣ + eps)
/// with the biased variance varᵣ = mean((inp[r, ·] − μᵣ)²), as `torch.nn.LayerNorm` computes it.
///
/// - Parameters:
///   - out: [rows, cols] (may be `inp`)
///   - mean: [rows], receives μᵣ (kept for a backward pass)
///   - rstd: [rows], receives rstdᵣ (kept for a backward pass)
///   - inp: [rows, cols]
///   - weight, bias: [cols]
/// Rows are split over the kernel threads (`KernelThreads`) when there are many.
public func layerNormForward(
    _ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
    rstd: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    rows: Int, cols: Int, eps: Float
) {
    KernelThreads.forEachChunk(rows, minimumPerThread: elementwiseChunk / Swift.max(cols, 1) + 1) { _, range in
        for r in range {
            let x = inp + r * cols
            let y = out + r * cols
            let mu = VectorMath.sum(x, count: cols) / Float(cols)
            let variance = VectorMath.sumOfSquares(x, count: cols, center: mu) / Float(cols)
            let s = 1 / (variance + eps).squareRoot()
            mean[r] = mu
            rstd[r] = s
            for c in 0..<cols { y[c] = (x[c] - mu) * s * weight[c] + bias[c] }
        }
    }
}

/// Backward of LayerNorm over the last axis.
///
/// Forward (`layerNormForward`): `norm = (inp − mean) · rstd`, `out = norm · weight + bias`, per row of `width`
/// values, with `mean` and `rstd = 1/√(var + eps)` saved per row.
/// Backward (accumulating):
/// - `dbias += dout`, `dweight += dout · norm`
/// - with `g = dout · weight`: `dinp += rstd · (g − mean(g) − norm · mean(g · norm))`
/// The two row sums, Σ g and Σ g · norm, run in eight interleaved partial sums (as `VectorMath.sum`), so that
/// they vectorize; the rest is per element.
public func layerNormBackward(
    dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>,
    dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, width: Int
) {
    let scale = 1 / Float(width)
    @inline(__always) func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func total(_ v: SIMD8<Float>) -> Float {
        ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
    }
    for row in 0..<rows {
        let x = inp + row * width
        let dy = dout + row * width
        let dx = dinp + row * width
        let mu = mean[row]
        let rs = rstd[row]
        var gSum = SIMD8<Float>()
        var gNormSum = SIMD8<Float>()
        var i = 0
        while i + 8 <= width {
            let g = load(weight, i) * load(dy, i)
            gSum += g
            gNormSum += g * (load(x, i) - mu) * rs
            i += 8
        }
        var gTail: Float = 0
        var gNormTail: Float = 0
        while i < width {
            let g = weight[i] * dy[i]
            gTail += g
            gNormTail += g * (x[i] - mu) * rs
            i += 1
        }
        let gMean = (total(gSum) + gTail) * scale
        let gNormMean = (total(gNormSum) + gNormTail) * scale
        @inline(__always) func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
            UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
        }
        i = 0
        while i + 8 <= width {  // explicit vectors: three outputs are too many for the vectorizer's overlap checks
            let d = load(dy, i)
            let norm = (load(x, i) - mu) * rs
            store(load(dbias, i) + d, dbias, i)
            store(load(dweight, i) + norm * d, dweight, i)
            store(load(dx, i) + rs * (load(weight, i) * d - gMean - norm * gNormMean), dx, i)
            i += 8
        }
        while i < width {
            let norm = (x[i] - mu) * rs
            dbias[i] += dy[i]
            dweight[i] += norm * dy[i]
            dx[i] += rs * (weight[i] * dy[i] - gMean - norm * gNormMean)
            i += 1
        }
    }
}
