import LgregRuntime

/// Backward of the linear layer.
///
/// Forward (`matmulForward`): `out[n, o] = bias[o] + Σ_c inp[n, c] · weight[o, c]`, with `inp` [rows, inFeatures],
/// `weight` [outFeatures, inFeatures] (PyTorch's layout) and `out` [rows, outFeatures].
/// Backward, accumulating (`+=`) into every gradient buffer:
/// - `dinp[n, c] += Σ_o dout[n, o] · weight[o, c]`  (dinp = dout · W)
/// - `dweight[o, c] += Σ_n dout[n, o] · inp[n, c]`  (dW = doutᵀ · inp)
/// - `dbias[o] += Σ_n dout[n, o]`
/// Pass `dinp: nil` when the input needs no gradient (the patch pixels).
public func matmulBackward(
    dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    rows: Int, inFeatures: Int, outFeatures: Int
) {
    if let dinp {
        sgemm(transA: false, transB: false, m: rows, n: inFeatures, k: outFeatures, alpha: 1,
              a: dout, lda: outFeatures, b: weight, ldb: inFeatures, beta: 1, c: dinp, ldc: inFeatures)
    }
    sgemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: rows, alpha: 1,
          a: dout, lda: outFeatures, b: inp, ldb: inFeatures, beta: 1, c: dweight, ldc: inFeatures)
    if let dbias {
        for row in 0..<rows {
            let d = dout + row * outFeatures
            for j in 0..<outFeatures { dbias[j] += d[j] }
        }
    }
}
