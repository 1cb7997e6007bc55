import LgregRuntime

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
    let lanes = FloatVector.scalarCount, vectorEnd = width - width % lanes
    @inline(__always) func load(_ p: UnsafePointer<Float>, _ i: Int) -> FloatVector { UnsafeRawPointer(p + i).loadUnaligned(as: FloatVector.self) }
    @inline(__always) func store(_ v: FloatVector, _ p: UnsafeMutablePointer<Float>, _ i: Int) { UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: FloatVector.self) }
    let scale = 1 / Float(width)
    for row in 0..<rows {
        let x = inp + row * width, dy = dout + row * width, dx = dinp + row * width
        let mu = mean[row], rs = rstd[row]
        // mean(g) and mean(g · norm)
        var gSum = FloatVector(), gNormSum = FloatVector()
        var i = 0
        while i < vectorEnd {
            let g = load(weight, i) * load(dy, i), norm = (load(x, i) - mu) * rs
            gSum += g
            gNormSum += g * norm
            i += lanes
        }
        var gMean = gSum.sum(), gNormMean = gNormSum.sum()
        for j in vectorEnd..<width {
            let g = weight[j] * dy[j]
            gMean += g
            gNormMean += g * (x[j] - mu) * rs
        }
        gMean *= scale
        gNormMean *= scale
        i = 0
        while i < vectorEnd {
            let d = load(dy, i), norm = (load(x, i) - mu) * rs, g = load(weight, i) * d
            store(load(dbias, i) + d, dbias, i)
            store(load(dweight, i) + norm * d, dweight, i)
            store(load(dx, i) + rs * (g - gMean - norm * gNormMean), dx, i)
            i += lanes
        }
        for j in vectorEnd..<width {
            let norm = (x[j] - mu) * rs, g = weight[j] * dy[j]
            dbias[j] += dy[j]
            dweight[j] += norm * dy[j]
            dx[j] += rs * (g - gMean - norm * gNormMean)
        }
    }
}
