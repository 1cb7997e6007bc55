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
        let x = inp + row * width, dy = dout + row * width, dx = dinp + row * width
        let mu = mean[row], rs = rstd[row]
        var gMean: Float = 0, gNormMean: Float = 0
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
