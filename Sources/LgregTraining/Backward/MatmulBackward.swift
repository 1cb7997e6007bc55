import CBLAS

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
    let n = Int32(rows), c = Int32(inFeatures), o = Int32(outFeatures)
    if let dinp {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, c, o, 1, dout, o, weight, c, 1, dinp, c)
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o, c, n, 1, dout, o, inp, c, 1, dweight, c)
    if let dbias {
        for row in 0..<rows {
            let d = dout + row * outFeatures
            for j in 0..<outFeatures { dbias[j] += d[j] }
        }
    }
}
