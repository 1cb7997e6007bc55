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
public func layerNormForward(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                             rstd: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                             weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                             rows: Int, cols: Int, eps: Float) {
    for r in 0..<rows {
        let x = inp + r * cols, y = out + r * cols
        let mu = VectorMath.sum(x, count: cols) / Float(cols)
        let variance = VectorMath.sumOfSquares(x, count: cols, center: mu) / Float(cols)
        let s = 1 / (variance + eps).squareRoot()
        mean[r] = mu
        rstd[r] = s
        for c in 0..<cols { y[c] = (x[c] - mu) * s * weight[c] + bias[c] }
    }
}
