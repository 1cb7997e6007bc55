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
    let lanes = FloatVector.scalarCount
    for r in 0..<rows {
        let x = inp + r * cols, y = out + r * cols
        let mu = VectorMath.sum(x, count: cols) { $0 } / Float(cols)
        let variance = VectorMath.sum(x, count: cols, pad: mu) { ($0 - mu) * ($0 - mu) } / Float(cols)
        let s = 1 / (variance + eps).squareRoot()
        mean[r] = mu
        rstd[r] = s
        var c = 0
        while c + lanes <= cols {
            let v = UnsafeRawPointer(x + c).loadUnaligned(as: FloatVector.self)
            let w = UnsafeRawPointer(weight + c).loadUnaligned(as: FloatVector.self)
            let b = UnsafeRawPointer(bias + c).loadUnaligned(as: FloatVector.self)
            UnsafeMutableRawPointer(y + c).storeBytes(of: (v - mu) * s * w + b, as: FloatVector.self)
            c += lanes
        }
        while c < cols { y[c] = (x[c] - mu) * s * weight[c] + bias[c]; c += 1 }
    }
}
