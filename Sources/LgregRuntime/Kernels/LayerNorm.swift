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
public func layerNormForward(
    _ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
    rstd: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    rows: Int, cols: Int, eps: Float
) {
    for r in 0..<rows {
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

/// Backward of LayerNorm over the last axis.
///
/// Forward (`layerNormForward`): `norm = (inp − mean) · rstd`, `out = norm · weight + bias`, per row of `width`
/// values, with `mean` and `rstd = 1/√(var + eps)` saved per row.
/// Backward (accumulating):
/// - `dbias += dout`, `dweight += dout · norm`
/// - with `g = dout · weight`: `dinp += rstd · (g − mean(g) − norm · mean(g · norm))`
public func layerNormBackward(
    dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>,
    dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, width: Int
) {
    let scale = 1 / Float(width)
    for row in 0..<rows {
        let x = inp + row * width
        let dy = dout + row * width
        let dx = dinp + row * width
        let mu = mean[row]
        let rs = rstd[row]
        var gMean: Float = 0
        var gNormMean: Float = 0
        for i in 0..<width {
            let g = weight[i] * dy[i]
            gMean += g
            gNormMean += g * (x[i] - mu) * rs
        }
        gMean *= scale
        gNormMean *= scale
        for i in 0..<width {
            let norm = (x[i] - mu) * rs
            dbias[i] += dy[i]
            dweight[i] += norm * dy[i]
            dx[i] += rs * (weight[i] * dy[i] - gMean - norm * gNormMean)
        }
    }
}
